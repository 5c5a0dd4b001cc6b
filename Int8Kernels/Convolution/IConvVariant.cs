using ILGPU;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Kernels.Tensors;

namespace ILGPUInt8.Kernels.Convolution;

/// <summary>
/// One int8 convolution implementation. The output is addressed as a GEMM result: row m = (n·P + p)·Q + q,
/// column k (output channel), so NHWC outputs use the GEMM epilogues with ld = K.
/// </summary>
public interface IConvVariant : IKernelVariant
{
    /// <summary>
    /// Null when the variant can run the problem with input in <paramref name="format"/> starting
    /// <paramref name="inputOffset"/> bytes into its allocation, else the reason; its alignment rules live here.
    /// </summary>
    string? CanImplement(Int8Device device, ConvProblem problem, TensorFormat format, long inputOffset = 0);

    /// <summary>Launches (asynchronous); arguments are validated by the caller.</summary>
    void Run<TEpilogue>(Int8Device device, ArrayView<sbyte> x, TensorFormat format, PackedConvWeights weights, ConvProblem problem, TEpilogue epilogue)
        where TEpilogue : struct, IGemmEpilogue;
}
