using ILGPU.Runtime;
using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Convolution.Cudnn;
using ILGPUInt8.Kernels.Reference;
using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Convolution;

public sealed class CudnnConvolutionTests
{
    private static readonly ConvolutionDescriptor Conv = new(PadH: 1, PadW: 1);
    private static readonly TensorDescriptor X = new(TensorFormat.NHWC, DataType.Int8, 2, 8, 5, 5);
    private static readonly FilterDescriptor W = new(DataType.Int8, TensorFormat.NHWC, 6, 8, 3, 3);

    [Fact]
    public void Float_output_is_alpha_conv_plus_beta_y()
    {
        var device = TestDevices.Cpu;
        var p = new ConvProblem(2, 8, 5, 5, 6, 3, 3, PadH: 1, PadW: 1);
        var (n, k, pp, q) = CudnnConvolution.GetOutputDim(Conv, X, W);
        var yDesc = new TensorDescriptor(TensorFormat.NHWC, DataType.Float, n, k, pp, q);
        var x = TestData.Int8(2 * 5 * 5 * 8, 1);
        var w = TestData.Int8(6 * 9 * 8, 2);
        var y0 = TestData.Float(n * k * pp * q, 3);
        var acc = ConvolutionReference.Forward(x, TensorFormat.NHWC, w, p);
        using var weights = new PackedConvWeights(device, w, p);
        using var dx = device.Accelerator.Allocate1D((byte[])(Array)x);
        using var dy = device.Accelerator.Allocate1D(y0);
        using var ws = device.Accelerator.Allocate1D<byte>(1);
        CudnnConvolution.ConvolutionForward(device, 0.25f, X, dx.View, W, weights, Conv, ConvolutionForwardAlgorithm.ImplicitGemm, ws.View, 0.5f, yDesc, dy.View.AsContiguous().Cast<byte>());
        var y = dy.GetAsArray1D();
        for (var i = 0; i < y.Length; i++)
        {
            var expected = (0.25f * acc[i]) + (0.5f * y0[i]);
            Assert.True(Math.Abs(y[i] - expected) <= 1e-6f * Math.Max(1f, Math.Abs(expected)), $"index {i}: {y[i]} vs {expected}");
        }
    }

    [Fact]
    public void Int32_output_and_direct_algorithm_match_reference()
    {
        var device = TestDevices.Cpu;
        var p = new ConvProblem(2, 8, 5, 5, 6, 3, 3, PadH: 1, PadW: 1);
        var yDesc = new TensorDescriptor(TensorFormat.NHWC, DataType.Int32, 2, 6, 5, 5);
        var x = TestData.Int8(2 * 5 * 5 * 8, 4);
        var w = TestData.Int8(6 * 9 * 8, 5);
        using var weights = new PackedConvWeights(device, w, p);
        using var dx = device.Accelerator.Allocate1D((byte[])(Array)x);
        using var dy = device.Accelerator.Allocate1D<int>(2 * 6 * 25);
        CudnnConvolution.ConvolutionForward(device, 1f, X, dx.View, W, weights, Conv, ConvolutionForwardAlgorithm.Direct, default, 0f, yDesc, dy.View.AsContiguous().Cast<byte>());
        device.Synchronize();
        Exact.Equal<int>(ConvolutionReference.Forward(x, TensorFormat.NHWC, w, p), dy.GetAsArray1D(), "cudnn-style int32 direct");
    }

    [Fact]
    public void Unsupported_and_mismatched_descriptors_are_rejected()
    {
        var device = TestDevices.Cpu;
        var p = new ConvProblem(2, 8, 5, 5, 6, 3, 3, PadH: 1, PadW: 1);
        using var weights = new PackedConvWeights(device, new sbyte[6 * 9 * 8], p);
        using var buf = device.Accelerator.Allocate1D<byte>(1 << 16);
        var floatNchw = new TensorDescriptor(TensorFormat.NCHW, DataType.Float, 2, 6, 5, 5);
        var ex = Assert.Throws<NotSupportedException>(() => CudnnConvolution.ConvolutionForward(device, 1f, X, buf.View, W, weights, Conv, ConvolutionForwardAlgorithm.ImplicitGemm, default, 0f, floatNchw, buf.View));
        Assert.Contains("Supported:", ex.Message, StringComparison.Ordinal);
        var wrongShape = new TensorDescriptor(TensorFormat.NHWC, DataType.Float, 2, 6, 4, 5);
        Assert.Throws<ArgumentException>(() => CudnnConvolution.ConvolutionForward(device, 1f, X, buf.View, W, weights, Conv, ConvolutionForwardAlgorithm.ImplicitGemm, default, 0f, wrongShape, buf.View));
        var int32 = new TensorDescriptor(TensorFormat.NHWC, DataType.Int32, 2, 6, 5, 5);
        Assert.Throws<NotSupportedException>(() => CudnnConvolution.ConvolutionForward(device, 2f, X, buf.View, W, weights, Conv, ConvolutionForwardAlgorithm.ImplicitGemm, default, 0f, int32, buf.View));
        Assert.Throws<ArgumentException>(() => CudnnConvolution.ConvolutionForward(device, 1f, X, buf.View.SubView(0, 10), W, weights, Conv, ConvolutionForwardAlgorithm.ImplicitGemm, default, 0f, int32, buf.View));
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => CudnnConvolution.ConvolutionForward(device, 1f, X, buf.View, W, weights, Conv, ConvolutionForwardAlgorithm.ImplicitGemm, default, 0f, int32, buf.View.SubView(2, 4096))).ParamName);
        var badFilter = W with { C = 4 };
        Assert.Throws<ArgumentException>(() => CudnnConvolution.GetOutputDim(Conv, X, badFilter));
    }
}
