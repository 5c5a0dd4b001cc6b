using ILGPU;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Kernels.Tensors;

namespace ILGPUInt8.Kernels.Convolution;

/// <summary>
/// One int8 convolution implementation. The output is addressed as a GEMM result: row m = (n·P + p)·Q + q,
/// column k (output channel), so NHWC outputs use the GEMM epilogues with ld = K.
/// </summary>
public interface IConvVariant
{
    /// <summary>Name that says layout and strategy, e.g. <c>conv_s8_nhwc_dp4a_implicit_gemm_128x128x32</c>.</summary>
    string Name { get; }

    /// <summary>Null when the variant can run the problem with input in <paramref name="format"/>, else the reason.</summary>
    string? CanImplement(Int8Device device, ConvProblem problem, TensorFormat format);

    /// <summary>Launches (asynchronous); arguments are validated by the caller.</summary>
    void Run<TEpilogue>(Int8Device device, ArrayView<sbyte> x, TensorFormat format, PackedConvWeights weights, ConvProblem problem, TEpilogue epilogue)
        where TEpilogue : struct, IGemmEpilogue;
}
