using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Ops;

/// <summary>
/// Writes the folded stem input z [N, H2, W2, C2] of a <see cref="ConvStemFold"/> (space-to-depth, int8):
/// z[n, y, x, c'] = v(n, c, sh·y − oh + i, sw·x − ow + j) for c' = (i·sw + j)·C + c &lt; sh·sw·C inside the image, else 0,
/// from one of three sources, each giving the int8 value v of (n, c, h, w):
/// <list type="bullet">
/// <item>int8 NHWC: v = x[n, h, w, c];</item>
/// <item>float NCHW (the engine's input, fused quantize): v = clamp(round_half_even(x[n, c, h, w] · (1/s)), −127, 127),
/// <see cref="QuantMath.QuantizeWithInverse"/> with 1/s rounded to float on the host, the bits of the input convert;</item>
/// <item>uint8 NHWC images: v = table[c·256 + x[n, h, w, c]], the table built on the host (normalization then quantize).</item>
/// <item>float NCHW into FP16 (the FP16 engine's input, fused convert): the fold of the halves' bytes, byte channel
/// c = 2·c_x + b being byte b of half_RNE(x[n, c_x, h, w]) (<see cref="HalfConvert.FromFloat"/>, the input convert's bits).</item>
/// </list>
/// One thread a folded pixel (its C2/4 words), no division in its index arithmetic.
/// </summary>
public static class StemFold
{
    /// <summary>z from int8 NHWC x [N, H, W, C] (asynchronous).</summary>
    public static void FromS8Nhwc(Int8Device device, ArrayView<sbyte> x, ConvStemFold fold, ArrayView<sbyte> z)
    {
        Check(device, x.Length, fold, z, nameof(x));
        Launch(device, "s8", z, fold, new S8NhwcSource(x));
    }

    /// <summary>z from float NCHW x [N, C, H, W], quantized with scale <paramref name="scale"/> (asynchronous).</summary>
    public static void FromF32Nchw(Int8Device device, ArrayView<float> x, ConvStemFold fold, ArrayView<sbyte> z, float scale)
    {
        Check(device, x.Length, fold, z, nameof(x));
        Launch(device, "f32", z, fold, new F32NchwSource(x, QuantMath.Inverse(scale)));
    }

    /// <summary>
    /// z of the FP16 stem from float NCHW x [N, C/2, H, W] (asynchronous): <paramref name="fold"/>'s problem counts bytes
    /// (C = 2 bytes a half), and byte b of channel c_x is byte b of half_RNE(x[n, c_x, h, w]).
    /// </summary>
    public static void FromF32NchwHalves(Int8Device device, ArrayView<float> x, ConvStemFold fold, ArrayView<sbyte> z)
    {
        ArgumentNullException.ThrowIfNull(fold);
        if (fold.Problem.C % 2 != 0)
        {
            throw new ArgumentException($"The fold of halves counts 2 bytes a channel; its C ({fold.Problem.C}) is odd.", nameof(fold));
        }

        Check(device, x.Length * 2, fold, z, nameof(x));
        Launch(device, "f32.f16", z, fold, new F32NchwHalfSource(x));
    }

    /// <summary>z from uint8 NHWC images x [N, H, W, C] through <paramref name="table"/> [C][256] (asynchronous).</summary>
    public static void FromU8Nhwc(Int8Device device, ArrayView<byte> x, ArrayView<sbyte> table, ConvStemFold fold, ArrayView<sbyte> z)
    {
        Check(device, x.Length, fold, z, nameof(x));
        OpArgs.AtLeast(table.Length, 256L * fold.Problem.C, nameof(table));
        Launch(device, "u8", z, fold, new U8NhwcSource(x, table));
    }

    private static void Check(Int8Device device, long xLength, ConvStemFold fold, ArrayView<sbyte> z, string xName)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(fold);
        var p = fold.Problem;
        OpArgs.AtLeast(xLength, (long)p.N * p.C * p.H * p.W, xName);
        OpArgs.AtLeast(z.Length, fold.FoldedBytes, nameof(z));
        if (!QuantArgs.Aligned(z, 4))
        {
            throw new ArgumentException("z must start on a 4-byte boundary (four channels are stored as one word).", nameof(z));
        }
    }

    private static void Launch<TSource>(Int8Device device, string name, ArrayView<sbyte> z, ConvStemFold fold, TSource source)
        where TSource : struct, IStemSource
    {
        var kernel = device.GetKernel("stemfold." + name, a =>
            a.LoadStreamKernel<ArrayView<int>, FoldArgs, TSource>(Kernel));
        var args = FoldArgs.From(fold);
        var f = fold.Folded;
        // Block (bx, y, n): folded pixels 128·bx … of row y of image n (grid y, z ≤ 65 535: H2 and N are).
        kernel(new KernelConfig(new Index3D((f.W + GroupSize - 1) / GroupSize, f.H, f.N), new Index3D(GroupSize, 1, 1)), z.SubView(0, fold.FoldedBytes).Cast<int>(), args, source);
    }

    private const int GroupSize = 128;

    /// <summary>
    /// One thread a folded pixel (n, y, x) = (grid z, grid y, 128·grid x + thread): its C2/4 words of z in channel order
    /// c' = (i·sw + j)·C + c, walking i, j, c without a division (4 values packed a word, the words past sh·sw·C zero).
    /// </summary>
    internal static void Kernel<TSource>(ArrayView<int> z, FoldArgs a, TSource source)
        where TSource : struct, IStemSource
    {
        int x = (Grid.IdxX * GroupSize) + Group.IdxX;
        if (x >= a.W2)
        {
            return;
        }

        int y = Grid.IdxY, n = Grid.IdxZ;
        int words = a.C2 >> 2;
        long at = ((((long)n * a.H2) + y) * a.W2 + x) * words;
        int word = 0, shift = 0, packed = 0;
        for (int i = 0; i < a.StrideH; i++)
        {
            int h = (a.StrideH * y) - a.OffsetH + i;
            for (int j = 0; j < a.StrideW; j++)
            {
                int w = (a.StrideW * x) - a.OffsetW + j;
                bool inside = h >= 0 && h < a.H && w >= 0 && w < a.W;
                for (int c = 0; c < a.C; c++)
                {
                    int v = inside ? source.Load(n, c, h, w, a) : 0;
                    packed |= (v & 0xFF) << shift;
                    shift += 8;
                    if (shift == 32)
                    {
                        z[at + word] = packed;
                        word++;
                        packed = 0;
                        shift = 0;
                    }
                }
            }
        }

        if (shift != 0)
        {
            z[at + word] = packed;
            word++;
        }

        for (; word < words; word++)
        {
            z[at + word] = 0;
        }
    }
}

/// <summary>Kernel arguments of <see cref="StemFold"/>: the image, the strides and offsets, the folded sizes.</summary>
internal readonly record struct FoldArgs(int C, int H, int W, int StrideH, int StrideW, int OffsetH, int OffsetW, int H2, int W2, int C2)
{
    public static FoldArgs From(ConvStemFold f) => new(
        f.Problem.C, f.Problem.H, f.Problem.W, f.Problem.StrideH, f.Problem.StrideW, f.OffsetH, f.OffsetW, f.Folded.H, f.Folded.W, f.Folded.C);
}

/// <summary>Where the int8 value of image n, channel c, row h, column w comes from (struct type parameter).</summary>
internal interface IStemSource
{
    /// <summary>The int8 value (inside the image).</summary>
    int Load(int n, int c, int h, int w, FoldArgs a);
}

/// <summary>Int8 NHWC.</summary>
internal readonly record struct S8NhwcSource(ArrayView<sbyte> X) : IStemSource
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Load(int n, int c, int h, int w, FoldArgs a) => X[((((long)n * a.H) + h) * a.W + w) * a.C + c];
}

/// <summary>Float NCHW, quantized: clamp(round_half_even(x · inverse), −127, 127).</summary>
internal readonly record struct F32NchwSource(ArrayView<float> X, float Inverse) : IStemSource
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Load(int n, int c, int h, int w, FoldArgs a) =>
        QuantMath.QuantizeWithInverse(X[((((long)n * a.C) + c) * a.H + h) * a.W + w], Inverse);
}

/// <summary>
/// Float NCHW as FP16 bytes: byte channel c = 2·c_x + b is byte b of half_RNE(x[n, c_x, h, w]) (a.C counts bytes; the
/// fold keeps the low byte of what this returns).
/// </summary>
internal readonly record struct F32NchwHalfSource(ArrayView<float> X) : IStemSource
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Load(int n, int c, int h, int w, FoldArgs a) =>
        HalfConvert.FromFloat(X[((((long)n * (a.C >> 1)) + (c >> 1)) * a.H + h) * a.W + w]) >> (8 * (c & 1));
}

/// <summary>Uint8 NHWC through a per-channel table [C][256].</summary>
internal readonly record struct U8NhwcSource(ArrayView<byte> X, ArrayView<sbyte> Table) : IStemSource
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Load(int n, int c, int h, int w, FoldArgs a) => Table[(c << 8) + X[((((long)n * a.H) + h) * a.W + w) * a.C + c]];
}
