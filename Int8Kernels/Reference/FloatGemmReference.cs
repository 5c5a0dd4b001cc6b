using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Gemm;

namespace ILGPUInt8.Kernels.Reference;

/// <summary>
/// Scalar references of the floating-point tensor-core GEMMs (<see cref="GemmMmaFloat"/>, <see cref="GemmWgmmaFloat"/>):
/// FP16 storage (or FP32 rounded to TF32), FP32 arithmetic. acc[m][n] starts at +0 and adds the exact FP32 products
/// A[m][k]·B[n][k] one FP32 rounding (RNE) at a time in the order of <see cref="MmaFloat"/>: K in steps of 32 bytes,
/// inside a step the byte quads q = 0..3, each quad's low-16-byte word then its high-16-byte word (FP16: k = 2q, 2q+1,
/// 8+2q, 9+2q; TF32: k = q, 4+q), k ≥ K skipped (the kernels add +0 there, which changes nothing: the sum is never −0).
/// This is what the emulated instructions compute, bit for bit; the GPU's tensor cores sum a k step their own way, so
/// against the GPU the references hold exactly only when every partial sum is exact (small integers), else within
/// <see cref="Tolerance"/>.
/// </summary>
internal static class FloatGemmReference
{
    /// <summary>FP16 GEMM accumulators of half bit patterns a [M][lda], b [N][ldb].</summary>
    public static float[] Fp16(ushort[] a, ushort[] b, GemmProblem p) =>
        Accumulate(HalfConvert.ToFloats(a), HalfConvert.ToFloats(b), p, elementBytes: 2);

    /// <summary>TF32 GEMM accumulators of FP32 a [M][lda], b [N][ldb]: each operand rounded to TF32 first (<see cref="MmaFloat.Tf32Round"/>).</summary>
    public static float[] Tf32(float[] a, float[] b, GemmProblem p) =>
        Accumulate(RoundTf32(a), RoundTf32(b), p, elementBytes: 4);

    /// <summary>FP32 values rounded to TF32 (ties away from zero).</summary>
    public static float[] RoundTf32(float[] x) =>
        x.Select(v => BitConverter.Int32BitsToSingle(MmaFloat.Tf32Round(BitConverter.SingleToInt32Bits(v)))).ToArray();

    /// <summary>acc[m·N + n] in the order of the class summary, for elements of <paramref name="elementBytes"/> bytes (2 or 4).</summary>
    public static float[] Accumulate(float[] a, float[] b, GemmProblem p, int elementBytes)
    {
        int step = 32 / elementBytes, perWord = 4 / elementBytes, high = 16 / elementBytes;
        var c = new float[(long)p.M * p.N];
        for (int m = 0; m < p.M; m++)
        {
            for (int n = 0; n < p.N; n++)
            {
                float acc = 0f;
                for (int k0 = 0; k0 < p.K; k0 += step)
                {
                    for (int q = 0; q < 4; q++)
                    {
                        for (int word = 0; word < 2; word++)
                        {
                            for (int j = 0; j < perWord; j++)
                            {
                                int k = k0 + (word * high) + (q * perWord) + j;
                                if (k < p.K)
                                {
                                    acc += a[((long)m * p.Lda) + k] * b[((long)n * p.Ldb) + k];
                                }
                            }
                        }
                    }
                }

                c[((long)m * p.N) + n] = acc;
            }
        }

        return c;
    }

    /// <summary>
    /// A bound on |GPU − reference| for output (m, n): (K + 64)·2^−23·Σ_k |A[m][k]·B[n][k]|. Both sums are ordered FP32
    /// sums of the same exact products, each within γ·Σ|a·b| of the exact sum (γ ≈ K·2^−24 for the sequential reference,
    /// (K/step + 2)·2^−23 for the tensor core's step-wise sums with truncating alignment); the bound covers both.
    /// </summary>
    public static float[] Tolerance(float[] a, float[] b, GemmProblem p)
    {
        var tol = new float[(long)p.M * p.N];
        for (int m = 0; m < p.M; m++)
        {
            for (int n = 0; n < p.N; n++)
            {
                double s = 0;
                for (int k = 0; k < p.K; k++)
                {
                    s += Math.Abs((double)a[((long)m * p.Lda) + k] * b[((long)n * p.Ldb) + k]);
                }

                tol[((long)m * p.N) + n] = (float)((p.K + 64) * Math.Pow(2, -23) * s);
            }
        }

        return tol;
    }

    /// <summary>The epilogue: y = acc + bias[col] (FP32) then y &lt; 0 → 0 with ReLU (<see cref="FloatOutEpilogue"/>).</summary>
    public static float[] Finish(float[] acc, int n, float[]? bias, bool relu)
    {
        var y = new float[acc.Length];
        for (long i = 0; i < acc.Length; i++)
        {
            float v = bias is null ? acc[i] : acc[i] + bias[i % n];
            y[i] = relu && v < 0f ? 0f : v;
        }

        return y;
    }
}
