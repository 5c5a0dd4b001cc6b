using ILGPU;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Gemm;

/// <summary>
/// The GEMM operator: C[M,N] = A[M,K]·B[N,K]ᵀ (int8, both K-contiguous) finished as int32, requantized int8 or
/// dequantized float. Validates buffers on the host, picks a variant (<see cref="GemmVariants.Select"/>: the named
/// one, else the first that can run these operands), then launches on the default stream; results are ready after <see cref="Int8Device.Synchronize"/>.
/// </summary>
public static class GemmS8
{
    /// <summary>C = A·Bᵀ as int32, row-major with leading dimension N.</summary>
    public static IGemmVariant Int32(Int8Device device, ArrayView<sbyte> a, ArrayView<sbyte> b, ArrayView<int> c, GemmProblem problem, string? variant = null)
    {
        CheckOutput(c.Length, problem, nameof(c));
        return Run(device, a, b, problem, new Int32Epilogue(c, problem.N), variant);
    }

    /// <summary>y = clamp(round_half_even(f32(acc + bias[n])·multiplier[n]), relu ? 0 : -127, 127), int8 [M, N].</summary>
    public static IGemmVariant Requantize(
        Int8Device device, ArrayView<sbyte> a, ArrayView<sbyte> b, ArrayView<sbyte> y, ArrayView<float> multiplier, ArrayView<int> bias, bool relu, GemmProblem problem, string? variant = null)
    {
        CheckOutput(y.Length, problem, nameof(y));
        CheckPerColumn(multiplier.Length, problem, nameof(multiplier));
        CheckPerColumn(bias.Length, problem, nameof(bias));
        if (((ILGPU.IContiguousArrayView)y).IndexInBytes % 4 != 0)
        {
            throw new ArgumentException("The int8 output must start on a 4-byte boundary.", nameof(y));
        }

        return Run(device, a, b, problem, new RequantizeEpilogue(y, problem.N, multiplier, bias, relu ? 0 : -127), variant);
    }

    /// <summary>y = alpha[n]·f32(acc) + beta·y, float [M, N].</summary>
    public static IGemmVariant Dequantize(
        Int8Device device, ArrayView<sbyte> a, ArrayView<sbyte> b, ArrayView<float> y, ArrayView<float> alpha, float beta, GemmProblem problem, string? variant = null)
    {
        CheckOutput(y.Length, problem, nameof(y));
        CheckPerColumn(alpha.Length, problem, nameof(alpha));
        return Run(device, a, b, problem, new DequantizeEpilogue(y, problem.N, alpha, beta), variant);
    }

    /// <summary>Validates A and B, selects a variant and launches with any epilogue.</summary>
    public static IGemmVariant Run<TEpilogue>(Int8Device device, ArrayView<sbyte> a, ArrayView<sbyte> b, GemmProblem problem, TEpilogue epilogue, string? variant = null)
        where TEpilogue : struct, IGemmEpilogue
    {
        ArgumentNullException.ThrowIfNull(device);
        problem.Validate();
        long needA = ((long)(problem.M - 1) * problem.Lda) + problem.K;
        long needB = ((long)(problem.N - 1) * problem.Ldb) + problem.K;
        if (a.Length < needA)
        {
            throw new ArgumentException($"A has {a.Length} bytes; {problem} with lda={problem.Lda} needs {needA}.", nameof(a));
        }

        if (b.Length < needB)
        {
            throw new ArgumentException($"B has {b.Length} bytes; {problem} with ldb={problem.Ldb} needs {needB}.", nameof(b));
        }

        var chosen = GemmVariants.Select(device, problem, GemmOperands.Of(a, b), variant);
        chosen.Run(device, a, b, problem, epilogue);
        return chosen;
    }

    private static void CheckOutput(long length, GemmProblem p, string name)
    {
        if (length < (long)p.M * p.N)
        {
            throw new ArgumentException($"{name} has {length} elements; {p} needs M·N = {(long)p.M * p.N}.", name);
        }
    }

    private static void CheckPerColumn(long length, GemmProblem p, string name)
    {
        if (length < p.N)
        {
            throw new ArgumentException($"{name} has {length} values; one per column (N = {p.N}) is needed.", name);
        }
    }
}
