using ILGPUInt8.Kernels.Tensors;

namespace ILGPUInt8.Kernels.Convolution.Cudnn;

/// <summary>A 4-D tensor descriptor as cudnnSetTensor4dDescriptor: format, data type, logical N, C, H, W.</summary>
/// <param name="Format">Memory format.</param>
/// <param name="DataType">Element type (INT8x4 with NCHW_VECT_C).</param>
/// <param name="N">Batch.</param>
/// <param name="C">Channels.</param>
/// <param name="H">Height.</param>
/// <param name="W">Width.</param>
internal sealed record TensorDescriptor(TensorFormat Format, DataType DataType, int N, int C, int H, int W)
{
    /// <summary>The logical shape.</summary>
    public TensorShape Shape => new(N, C, H, W);

    /// <summary>Bytes a buffer of this descriptor needs.</summary>
    public long Bytes => Shape.StoredElements(Format) * DataType.ElementSize();
}

/// <summary>A filter descriptor as cudnnSetFilter4dDescriptor: K output channels, C/groups input channels, R×S taps.</summary>
/// <param name="DataType">Element type (INT8, or INT8x4 for vectorized inputs; both stored here as KRSC int8).</param>
/// <param name="Format">NHWC means KRSC, the layout used here.</param>
/// <param name="K">Output channels.</param>
/// <param name="C">Input channels per group.</param>
/// <param name="R">Filter height.</param>
/// <param name="S">Filter width.</param>
internal sealed record FilterDescriptor(DataType DataType, TensorFormat Format, int K, int C, int R, int S);

/// <summary>A convolution descriptor as cudnnSetConvolution2dDescriptor (+ group count); cross-correlation, as cuDNN's default mode.</summary>
/// <param name="PadH">Zero padding, top and bottom.</param>
/// <param name="PadW">Zero padding, left and right.</param>
/// <param name="StrideH">Vertical stride.</param>
/// <param name="StrideW">Horizontal stride.</param>
/// <param name="DilationH">Vertical dilation.</param>
/// <param name="DilationW">Horizontal dilation.</param>
/// <param name="Groups">Group count.</param>
/// <param name="ComputeType">Accumulator type (INT32 for int8 convolutions).</param>
internal sealed record ConvolutionDescriptor(
    int PadH, int PadW, int StrideH = 1, int StrideW = 1, int DilationH = 1, int DilationW = 1, int Groups = 1, DataType ComputeType = DataType.Int32);

/// <summary>Forward algorithms, named as cuDNN's.</summary>
internal enum ConvolutionForwardAlgorithm
{
    /// <summary>Implicit GEMM (dp4a tiles, or the direct kernel where the tiles cannot run).</summary>
    ImplicitGemm,

    /// <summary>Implicit precomputed GEMM: here the same kernels as <see cref="ImplicitGemm"/>.</summary>
    ImplicitPrecompGemm,

    /// <summary>Direct convolution (one thread per output).</summary>
    Direct,
}
