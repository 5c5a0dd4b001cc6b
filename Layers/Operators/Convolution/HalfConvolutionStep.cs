using ILGPU;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Layers.Runtime;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Layers.Operators;

/// <summary>
/// An FP16 convolution or fully connected step on the tensor cores: the input's im2col rows converted to halves
/// (<see cref="Im2ColHalf"/>, a scratch matrix A [N·P·Q][Kp], Kp = R·S·C rounded up to 8), the half weights B
/// [K][Kp] (KRSC, zero-padded), then <see cref="GemmFloat.Fp16"/>: y[m][k] = max(Σ_j A[m][j]·B[k][j] + bias[k], lo),
/// products of halves exact in FP32 and summed in FP32 (the tensor core's order, not the reference's: the last float bits
/// may differ, one half ulp after the store's rounding), bias FP32, lo = 0 for a fused ReLU. The engine's FP16 store
/// (<see cref="HalfStoreStep"/>) rounds y to halves after it. Groups = 1 and no fused activation other than ReLU; other
/// FP16 convolutions run the FP32 kernel on their half values (<see cref="ConvolutionStep"/>), the same numbers.
/// </summary>
internal sealed class HalfConvolutionStep : Step
{
    private readonly Func<int, ConvProblem> _problem;
    private readonly ArrayView<ushort> _weights;
    private readonly ArrayView<float> _bias;
    private readonly int _columns;
    private readonly IFloatGemmVariant? _variant;

    private HalfConvolutionStep(Engine engine, PlanNode node, IFloatGemmVariant? variant)
        : base(engine, node)
    {
        _variant = variant;
        var dims = Input().Dims;
        var (problem, w, bias, k) = Shape(node, dims);
        _problem = problem;
        var p1 = problem(1);
        _columns = Im2ColHalf.Columns(p1);
        var fc = node.Layer is FullyConnectedLayer;
        var krsc = fc ? WeightLayout.FullyConnectedNchwToNhwc<float>(w, k, dims.C, dims.H, dims.W) : WeightLayout.KcrsToKrsc<float>(w, k, p1.C, p1.R, p1.S);
        var rows = p1.R * p1.S * p1.C;
        var padded = new ushort[(long)k * _columns];
        for (var row = 0; row < k; row++)
        {
            for (var j = 0; j < rows; j++)
            {
                padded[((long)row * _columns) + j] = HalfConvert.FromFloat(krsc[((long)row * rows) + j]);
            }
        }

        _weights = Upload(padded);
        _bias = Upload(bias ?? new float[k]);
    }

    /// <summary>A variant to use on the ILGPU CPU accelerator (tests: the mma.sync emulation), set on the thread that builds the engine.</summary>
    [ThreadStatic]
    internal static IFloatGemmVariant? CpuVariant;

    /// <inheritdoc />
    public override int Launches => 2;

    /// <inheritdoc />
    public override long ScratchBytes => checked((long)Plan.MaxBatchSize * Output.Dims.Plane * _columns * 2);

    /// <inheritdoc />
    public override string KernelName => $"im2col_f16+{Variant(_problem(Plan.MaxBatchSize)).Name}";

    /// <summary>The tensor-core step for an FP16 node when it can run one, else null (the caller makes the FP32-kernel step).</summary>
    public static Step? TryCreate(Engine engine, PlanNode node)
    {
        var device = engine.Device;
        var variant = device.IsCuda ? null : CpuVariant;
        if (!node.Half || engine.HostIsa is not null || (!device.IsCuda && variant is null)
            || node.Fused.Kind is not (Kernels.Ops.ActivationKind.None or Kernels.Ops.ActivationKind.Relu) || node.ResidualThreshold is not null)
        {
            return null;
        }

        var dims = engine.Plan.Tensors[node.Inputs[0]].Dims;
        var p = Shape(node, dims).Problem(engine.Plan.MaxBatchSize);
        if (p.Groups != 1)
        {
            return null;
        }

        var columns = Im2ColHalf.Columns(p);
        var gemm = new GemmProblem(p.N * p.P * p.Q, p.K, columns);
        if (variant is not null)
        {
            return variant.CanImplement(device, gemm) is null ? new HalfConvolutionStep(engine, node, variant) : null;
        }

        try
        {
            GemmFloat.Select(device, FloatMmaInput.Fp16, gemm);
        }
        catch (NotSupportedException)
        {
            // No FP16 tensor-core variant on this device (before sm_80): the FP32 kernel on half values.
            return null;
        }

        return new HalfConvolutionStep(engine, node, null);
    }

    /// <inheritdoc />
    public override void Run(ExecutionContext context, int batch)
    {
        var p = _problem(batch);
        var m = p.N * p.P * p.Q;
        var a = context.Scratch<ushort>(this, (long)m * _columns);
        Im2ColHalf.Run(Device, context.View<float>(Input(), batch), p, a, _columns);
        var gemm = new GemmProblem(m, p.K, _columns);
        var epilogue = new FloatOutEpilogue(context.View<float>(Output, batch), p.K, _bias, FloatEpilogue.Lo(Node.Fused.Kind == Kernels.Ops.ActivationKind.Relu));
        GemmFloat.Fp16(Device, a, _weights, gemm, epilogue, Variant(gemm));
    }

    private IFloatGemmVariant Variant(GemmProblem gemm) => _variant ?? GemmFloat.Select(Device, FloatMmaInput.Fp16, gemm);

    private IFloatGemmVariant Variant(ConvProblem p) => Variant(new GemmProblem(p.N * p.P * p.Q, p.K, _columns));

    /// <summary>The convolution problem per batch, the public-order weights, the bias and K of a convolution or fully connected node.</summary>
    private static (Func<int, ConvProblem> Problem, float[] Weights, float[]? Bias, int K) Shape(PlanNode node, Network.TensorDims dims)
    {
        if (node.Layer is ConvolutionLayer conv)
        {
            return (n => conv.Problem(n, dims), conv.WeightArray, conv.BiasArray, conv.OutputChannels);
        }

        var f = (FullyConnectedLayer)node.Layer;
        var volume = (int)dims.Volume;
        return (n => new ConvProblem(n, volume, 1, 1, f.OutputCount, 1, 1), f.WeightArray, f.BiasArray, f.OutputCount);
    }
}
