using ILGPU;
using ILGPUInt8.Kernels.Arch;

namespace ILGPUInt8.Tests.Arch;

/// <summary>Tiny kernels that apply each Arch wrapper to arrays, so the fallbacks (CPU) and PTX (CUDA) can be compared to the reference.</summary>
public static class ArchProbeKernels
{
    /// <summary>Number of results per input triple in <see cref="Integer"/>.</summary>
    public const int IntegerOps = 12;

    /// <summary>
    /// out[12i..12i+11] = dp4a SS, UU, US, SU, dp2a lo/hi SS, lo/hi UU, pack-saturate(a, b, c, a ^ b), add.sat(a, b),
    /// mul.wide(a, c) low and high words.
    /// </summary>
    public static void Integer(Index1D i, ArrayView<int> a, ArrayView<int> b, ArrayView<int> c, ArrayView<int> output)
    {
        int x = a[i], y = b[i], z = c[i];
        long o = (long)(int)i * IntegerOps;
        output[o] = Dp4a.SS(x, y, z);
        output[o + 1] = (int)Dp4a.UU((uint)x, (uint)y, (uint)z);
        output[o + 2] = Dp4a.US(x, y, z);
        output[o + 3] = Dp4a.SU(x, y, z);
        output[o + 4] = Dp2a.LoSS(x, y, z);
        output[o + 5] = Dp2a.HiSS(x, y, z);
        output[o + 6] = (int)Dp2a.LoUU((uint)x, (uint)y, (uint)z);
        output[o + 7] = (int)Dp2a.HiUU((uint)x, (uint)y, (uint)z);
        output[o + 8] = Saturate.PackInt32ToInt8x4(x, y, z, x ^ y);
        output[o + 9] = Saturate.AddInt32(x, y);
        long p = MulWide.S32(x, z);
        output[o + 10] = (int)p;
        output[o + 11] = (int)(p >> 32);
    }

    /// <summary>Number of results per input triple in <see cref="Packing"/>.</summary>
    public const int PackingOps = 12;

    /// <summary>
    /// out[12i..12i+11] = Pack(a, b, c, a ^ b), Lane(a, 0..3), Pack16(a, b), Half16(a, 0..1), ClampInt8(a),
    /// ClampInt8(c &gt;&gt; 23), ClampSymmetric(c &gt;&gt; 23, -127), ClampSymmetric(b &gt;&gt; 23, 0).
    /// </summary>
    public static void Packing(Index1D i, ArrayView<int> a, ArrayView<int> b, ArrayView<int> c, ArrayView<int> output)
    {
        int x = a[i], y = b[i], z = c[i];
        long o = (long)(int)i * PackingOps;
        output[o] = PackedInt8.Pack(x, y, z, x ^ y);
        output[o + 1] = PackedInt8.Lane(x, 0);
        output[o + 2] = PackedInt8.Lane(x, 1);
        output[o + 3] = PackedInt8.Lane(x, 2);
        output[o + 4] = PackedInt8.Lane(x, 3);
        output[o + 5] = PackedInt8.Pack16(x, y);
        output[o + 6] = PackedInt8.Half16(x, 0);
        output[o + 7] = PackedInt8.Half16(x, 1);
        output[o + 8] = Saturate.ClampInt8(x);
        output[o + 9] = Saturate.ClampInt8(z >> 23);
        output[o + 10] = Saturate.ClampSymmetric(z >> 23, -127);
        output[o + 11] = Saturate.ClampSymmetric(y >> 23, 0);
    }

    /// <summary>out[i] = Saturate.FloatToInt8Symmetric(x[i]).</summary>
    public static void FloatToInt8(Index1D i, ArrayView<float> x, ArrayView<int> output) =>
        output[i] = Saturate.FloatToInt8Symmetric(x[i]);

    /// <summary>
    /// One warp: D[16×8] = A[16×32] · W[8×32]ᵀ with one m16n8k32. a: 16 rows × 8 words; w: 8 rows × 8 words
    /// (4 int8 per word, k-contiguous); d: 16×8 int32, pre-loaded with C.
    /// </summary>
    public static void MmaTile(ArrayView<int> a, ArrayView<int> w, ArrayView<int> d)
    {
        int lane = Group.IdxX;
        int g = lane >> 2, t = lane & 3;
        int c0 = d[(g * 8) + (2 * t)], c1 = d[(g * 8) + (2 * t) + 1];
        int c2 = d[((g + 8) * 8) + (2 * t)], c3 = d[((g + 8) * 8) + (2 * t) + 1];
        Mma.M16N8K32(
            ref c0, ref c1, ref c2, ref c3,
            a[(g * 8) + t], a[((g + 8) * 8) + t], a[(g * 8) + 4 + t], a[((g + 8) * 8) + 4 + t],
            w[(g * 8) + t], w[(g * 8) + 4 + t]);
        d[(g * 8) + (2 * t)] = c0;
        d[(g * 8) + (2 * t) + 1] = c1;
        d[((g + 8) * 8) + (2 * t)] = c2;
        d[((g + 8) * 8) + (2 * t) + 1] = c3;
    }
}
