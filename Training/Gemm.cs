using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Cpu;
using ILGPUInt8.Kernels.Ops;

namespace ILGPUInt8.Training;

/// <summary>
/// The float GEMMs of training, all run on the project's CPU SGEMM (<see cref="CpuConvF32"/>, 6 × 16 FMA micro-kernel,
/// cores split by <see cref="CpuThreads"/>): C[m][n] = Σ_t A[m][t] · B[n][t] is a 1 × 1 convolution of A (NHWC, H = m,
/// C = t) with B as its KRSC weights (K = n). Each output is summed in t order by one thread, so results do not depend
/// on the number of threads (deterministic).
/// </summary>
public static unsafe class Gemm
{
    /// <summary>C [m × n] = A [m × t] · Bᵀ (B is [n × t]).</summary>
    public static void MultiplyTransposed(ReadOnlySpan<float> a, int m, int t, ReadOnlySpan<float> b, int n, Span<float> c)
    {
        if (a.Length < (long)m * t || b.Length < (long)n * t || c.Length < (long)m * n)
        {
            throw new ArgumentException($"GEMM {m}×{t} · ({n}×{t})ᵀ: operands of {a.Length}, {b.Length}, {c.Length} values are too small.");
        }

        var problem = new ConvProblem(1, t, m, 1, n, 1, 1);
        var kernel = new CpuConvF32(b[..(n * t)], [], problem, ActivationSpec.None);
        fixed (float* pa = a)
        fixed (float* pc = c)
        {
            kernel.Forward(pa, 1, pc);
        }
    }

    /// <summary>Bᵀ of a row-major [rows × cols] matrix, as [cols × rows] (blocked for the caches).</summary>
    public static float[] Transpose(ReadOnlySpan<float> a, int rows, int cols)
    {
        var t = new float[a.Length];
        const int block = 32;
        for (var r0 = 0; r0 < rows; r0 += block)
        {
            int r1 = Math.Min(rows, r0 + block);
            for (var c0 = 0; c0 < cols; c0 += block)
            {
                int c1 = Math.Min(cols, c0 + block);
                for (var r = r0; r < r1; r++)
                {
                    for (var c = c0; c < c1; c++)
                    {
                        t[(c * rows) + r] = a[(r * cols) + c];
                    }
                }
            }
        }

        return t;
    }
}
