using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Kernels.Tensors;

namespace ILGPUInt8.Kernels.Convolution.Cudnn;

/// <summary>
/// A cuDNN-shaped int8 forward convolution for researchers who think in cuDNN:
/// <c>ConvolutionForward(alpha, xDesc, x, wDesc, w, convDesc, algo, workspace, beta, yDesc, y)</c> computes
/// y = alpha·conv(x, w) + beta·y with int32 accumulation. Supported combinations (as cuDNN's INT8 table):
/// <list type="table">
/// <item>x INT8 NHWC, w INT8 KRSC → y INT8 NHWC (beta = 0; y = sat(round_half_even(alpha·acc)), range [-127, 127]), INT32 NHWC (alpha = 1, beta = 0), FLOAT NHWC.</item>
/// <item>x INT8x4 NCHW_VECT_C, w INT8x4 → y FLOAT NHWC or INT8 NHWC (this library writes NHWC outputs).</item>
/// </list>
/// When C is not a multiple of 4 (a first layer with C = 3) the direct kernel runs; no workspace is needed
/// (<see cref="GetWorkspaceSize"/> returns 0) but a given one is accepted.
/// </summary>
internal static class CudnnConvolution
{
    /// <summary>The supported (x, y) combinations, for messages and documentation.</summary>
    public static readonly string SupportedCombinations =
        "x INT8 NHWC → y INT8 NHWC | INT32 NHWC | FLOAT NHWC; x INT8x4 NCHW_VECT_C → y INT8 NHWC | FLOAT NHWC; w INT8/INT8x4 KRSC; compute INT32";

    /// <summary>Output dimensions, as cudnnGetConvolution2dForwardOutputDim.</summary>
    public static (int N, int K, int P, int Q) GetOutputDim(ConvolutionDescriptor convDesc, TensorDescriptor xDesc, FilterDescriptor wDesc)
    {
        var p = Problem(convDesc, xDesc, wDesc);
        return (p.N, p.K, p.P, p.Q);
    }

    /// <summary>Workspace bytes the algorithm needs (none here).</summary>
    public static long GetWorkspaceSize(TensorDescriptor xDesc, FilterDescriptor wDesc, ConvolutionDescriptor convDesc, TensorDescriptor yDesc, ConvolutionForwardAlgorithm algo)
    {
        _ = Validate(convDesc, xDesc, wDesc, yDesc, 1f, 0f);
        _ = algo;
        return 0;
    }

    /// <summary>y = alpha·conv(x, w) + beta·y. Throws (before any launch) on an unsupported or inconsistent combination.</summary>
    public static void ConvolutionForward(
        Int8Device device, float alpha, TensorDescriptor xDesc, ArrayView<byte> x, FilterDescriptor wDesc, PackedConvWeights w,
        ConvolutionDescriptor convDesc, ConvolutionForwardAlgorithm algo, ArrayView<byte> workspace, float beta, TensorDescriptor yDesc, ArrayView<byte> y)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(w);
        var problem = Validate(convDesc, xDesc, wDesc, yDesc, alpha, beta);
        _ = workspace;
        if (x.Length < xDesc.Bytes)
        {
            throw new ArgumentException($"x has {x.Length} bytes; {xDesc} needs {xDesc.Bytes}.", nameof(x));
        }

        if (y.Length < yDesc.Bytes)
        {
            throw new ArgumentException($"y has {y.Length} bytes; {yDesc} needs {yDesc.Bytes}.", nameof(y));
        }

        if (((IContiguousArrayView)x).IndexInBytes % 4 != 0 || ((IContiguousArrayView)y).IndexInBytes % 4 != 0)
        {
            throw new ArgumentException("x and y must start on 4-byte boundaries.", ((IContiguousArrayView)x).IndexInBytes % 4 != 0 ? nameof(x) : nameof(y));
        }

        string? variant = algo == ConvolutionForwardAlgorithm.Direct ? "conv_s8_direct" : null;
        var xs = x.Cast<sbyte>();
        switch (yDesc.DataType)
        {
            case DataType.Int32:
                ConvS8.Int32(device, xs, xDesc.Format, w, problem, y.Cast<int>(), variant);
                break;
            case DataType.Float:
                using (var a = device.Accelerator.Allocate1D(Enumerable.Repeat(alpha, problem.K).ToArray()))
                {
                    ConvS8.Dequantize(device, xs, xDesc.Format, w, problem, y.Cast<float>(), a.View, beta, variant);
                    device.Synchronize();
                }

                break;
            default:
                using (var m = device.Accelerator.Allocate1D(Enumerable.Repeat(alpha, problem.K).ToArray()))
                using (var b = device.Accelerator.Allocate1D<int>(problem.K))
                {
                    b.MemSetToZero();
                    ConvS8.Requantize(device, xs, xDesc.Format, w, problem, y.Cast<sbyte>(), m.View, b.View, relu: false, variant);
                    device.Synchronize();
                }

                break;
        }
    }

    private static ConvProblem Problem(ConvolutionDescriptor c, TensorDescriptor x, FilterDescriptor w)
    {
        ArgumentNullException.ThrowIfNull(c);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(w);
        if (w.C * c.Groups != x.C)
        {
            throw new ArgumentException($"Filter has {w.C} input channels per group × {c.Groups} groups, the input has {x.C}.", nameof(w));
        }

        var p = new ConvProblem(x.N, x.C, x.H, x.W, w.K, w.R, w.S, c.StrideH, c.StrideW, c.PadH, c.PadW, c.DilationH, c.DilationW, c.Groups);
        p.Validate();
        return p;
    }

    private static ConvProblem Validate(ConvolutionDescriptor c, TensorDescriptor x, FilterDescriptor w, TensorDescriptor y, float alpha, float beta)
    {
        var p = Problem(c, x, w);
        ArgumentNullException.ThrowIfNull(y);
        bool xOk = (x.DataType == DataType.Int8 && x.Format == TensorFormat.NHWC) || (x.DataType == DataType.Int8x4 && x.Format == TensorFormat.NCHW_VECT_C);
        bool wOk = w.DataType is DataType.Int8 or DataType.Int8x4;
        bool yOk = y.Format == TensorFormat.NHWC && (y.DataType is DataType.Float or DataType.Int8 || (y.DataType == DataType.Int32 && x.DataType == DataType.Int8));
        if (!xOk || !wOk || !yOk || c.ComputeType != DataType.Int32)
        {
            throw new NotSupportedException(
                $"Unsupported combination x {x.DataType} {x.Format}, w {w.DataType}, y {y.DataType} {y.Format}, compute {c.ComputeType}. Supported: {SupportedCombinations}.");
        }

        if (y.N != p.N || y.C != p.K || y.H != p.P || y.W != p.Q)
        {
            throw new ArgumentException($"yDesc is [{y.N}, {y.C}, {y.H}, {y.W}] but the convolution gives [{p.N}, {p.K}, {p.P}, {p.Q}].", nameof(y));
        }

        if (!float.IsFinite(alpha) || !float.IsFinite(beta))
        {
            throw new ArgumentException($"alpha ({alpha}) and beta ({beta}) must be finite.", nameof(alpha));
        }

        if (y.DataType == DataType.Int32 && (alpha != 1f || beta != 0f))
        {
            throw new NotSupportedException("INT32 output needs alpha = 1 and beta = 0 (as cuDNN).");
        }

        if (y.DataType == DataType.Int8 && (beta != 0f || !(alpha > 0f)))
        {
            throw new NotSupportedException("INT8 output supports alpha > 0 and beta = 0 here.");
        }

        return p;
    }
}
