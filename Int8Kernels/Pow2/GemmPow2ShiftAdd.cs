using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Pow2;

/// <summary>
/// C[m][n] = Σ_k A[m][k] · w[n][k] with int8 A (K-contiguous rows) and power-of-two weights w as nibbles
/// (<see cref="Pow2Nibbles"/>), computed by shift and add with no multiply: term = (±A[m][k]) &lt;&lt; (c − 1) for code
/// c ≥ 1, nothing for c = 0; int32 accumulation (exact: |term| ≤ 128 · 64). The result equals the int8 GEMM of
/// <see cref="Pow2Nibbles.Unpack"/> bit for bit; the layer scale 2^Base goes into the requantize multiplier.
/// One thread an output, reading its weight row a byte (two weights) at a time.
/// </summary>
public static class GemmPow2ShiftAdd
{
    /// <summary>c [M × N] = a [M × K] · unpack(w)ᵀ.</summary>
    public static void Run(Int8Device device, ArrayView<sbyte> a, ArrayView<byte> w, ArrayView<int> c, GemmProblem problem)
    {
        ArgumentNullException.ThrowIfNull(device);
        problem.Validate();
        int rowBytes = (problem.K + 1) / 2;
        if (a.Length < ((long)(problem.M - 1) * problem.Lda) + problem.K || w.Length < (long)problem.N * rowBytes || c.Length < (long)problem.M * problem.N)
        {
            throw new ArgumentException($"Buffers too small for {problem}: a {a.Length}, w {w.Length} (rows of {rowBytes} bytes), c {c.Length}.");
        }

        var kernel = device.GetKernel("gemm.pow2.shiftadd", acc =>
            acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<sbyte>, ArrayView<byte>, ArrayView<int>, GemmProblem>(Kernel));
        kernel(problem.M * problem.N, a, w, c, problem);
    }

    /// <summary>Thread i computes c[i / N][i % N].</summary>
    internal static void Kernel(Index1D i, ArrayView<sbyte> a, ArrayView<byte> w, ArrayView<int> c, GemmProblem p)
    {
        int m = i / p.N, n = i % p.N, rowBytes = (p.K + 1) / 2;
        long aRow = (long)m * p.Lda, wRow = (long)n * rowBytes;
        int sum = 0;
        for (var j = 0; j < rowBytes; j++)
        {
            int pair = w[wRow + j];
            int k = 2 * j;
            sum += Term(a[aRow + k], pair & 15);
            if (k + 1 < p.K)
            {
                sum += Term(a[aRow + k + 1], pair >> 4);
            }
        }

        c[i] = sum;
    }

    // (±x) << (c − 1) for code c ≥ 1, else 0; bit 3 of the nibble is the sign.
    private static int Term(int x, int nibble)
    {
        int code = nibble & 7;
        int signed = (nibble & 8) != 0 ? -x : x;
        return code == 0 ? 0 : signed << (code - 1);
    }
}
