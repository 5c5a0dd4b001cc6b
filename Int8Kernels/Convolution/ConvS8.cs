using ILGPU;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Kernels.Tensors;

namespace ILGPUInt8.Kernels.Convolution;

/// <summary>
/// The int8 convolution operator: y = conv(x, w) finished by an epilogue (int32, requantize, dequantize), output NHWC
/// [N, P, Q, K] seen as a GEMM result (row = output pixel, column = output channel, ld = K). Validates sizes on the host,
/// selects a variant (<see cref="ConvVariants.Select"/>), launches asynchronously.
/// </summary>
public static class ConvS8
{
    /// <summary>Runs with any epilogue; <paramref name="variant"/> names one, else the best that can run.</summary>
    public static IConvVariant Forward<TEpilogue>(
        Int8Device device, ArrayView<sbyte> x, TensorFormat format, PackedConvWeights weights, ConvProblem problem, TEpilogue epilogue, string? variant = null)
        where TEpilogue : struct, IGemmEpilogue
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(problem);
        problem.Validate();
        long need = new TensorShape(problem.N, problem.C, problem.H, problem.W).StoredElements(format);
        if (x.Length < need)
        {
            throw new ArgumentException($"x has {x.Length} values; {format} [{problem.N}, {problem.C}, {problem.H}, {problem.W}] needs {need}.", nameof(x));
        }

        if (weights.K != problem.K || weights.RowLength != problem.R * problem.S * problem.CPerGroup)
        {
            throw new ArgumentException($"The packed weights ({weights.K} rows of {weights.RowLength}) do not belong to {problem}.", nameof(weights));
        }

        var chosen = ConvVariants.Select(device, problem, format, variant, ((IContiguousArrayView)x).IndexInBytes);
        chosen.Run(device, x, format, weights, problem, epilogue);
        return chosen;
    }

    /// <summary>Int32 output.</summary>
    public static IConvVariant Int32(Int8Device device, ArrayView<sbyte> x, TensorFormat format, PackedConvWeights weights, ConvProblem problem, ArrayView<int> y, string? variant = null)
    {
        CheckOutput(y.Length, problem, nameof(y));
        return Forward(device, x, format, weights, problem, new Int32Epilogue(y, problem.K), variant);
    }

    /// <summary>Int8 output: y = clamp(round_half_even(f32(acc + bias[k])·multiplier[k]), relu ? 0 : -127, 127).</summary>
    public static IConvVariant Requantize(
        Int8Device device, ArrayView<sbyte> x, TensorFormat format, PackedConvWeights weights, ConvProblem problem,
        ArrayView<sbyte> y, ArrayView<float> multiplier, ArrayView<int> bias, bool relu, string? variant = null)
    {
        CheckOutput(y.Length, problem, nameof(y));
        if (((IContiguousArrayView)y).IndexInBytes % 4 != 0)
        {
            throw new ArgumentException("The int8 output must start on a 4-byte boundary (four channels are stored as one word).", nameof(y));
        }

        if (multiplier.Length < problem.K || bias.Length < problem.K)
        {
            throw new ArgumentException($"multiplier and bias need one value per output channel ({problem.K}).", nameof(multiplier));
        }

        return Forward(device, x, format, weights, problem, new RequantizeEpilogue(y, problem.K, multiplier, bias, relu ? 0 : -127), variant);
    }

    /// <summary>Float output: y = alpha[k]·f32(acc) + beta·y.</summary>
    public static IConvVariant Dequantize(
        Int8Device device, ArrayView<sbyte> x, TensorFormat format, PackedConvWeights weights, ConvProblem problem,
        ArrayView<float> y, ArrayView<float> alpha, float beta, string? variant = null)
    {
        CheckOutput(y.Length, problem, nameof(y));
        if (alpha.Length < problem.K)
        {
            throw new ArgumentException($"alpha needs one value per output channel ({problem.K}).", nameof(alpha));
        }

        return Forward(device, x, format, weights, problem, new DequantizeEpilogue(y, problem.K, alpha, beta), variant);
    }

    private static void CheckOutput(long length, ConvProblem p, string name)
    {
        long need = (long)p.N * p.P * p.Q * p.K;
        if (length < need)
        {
            throw new ArgumentException($"{name} has {length} values; NHWC [{p.N}, {p.P}, {p.Q}, {p.K}] needs {need}.", name);
        }
    }
}
