using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Cpu;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Layers.Runtime;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Layers.Operators;

/// <summary>
/// Convolution and fully connected on the CPU backend (NHWC; the fully connected layer as the 1×1 convolution of
/// [N, 1, 1, C·H·W] with its weights in NHWC column order): INT8 through <see cref="CpuConvS8"/> with the requantize (+ table)
/// epilogue of <see cref="Int8Parameters"/>, FP32 through <see cref="CpuConvF32"/> with bias and activation fused.
/// Weights are quantized and packed once, here. A fused residual sum runs as a second pass over the output, in place.
/// </summary>
internal sealed unsafe class HostConvolutionStep : HostStep
{
    private readonly CpuConvS8? _int8;
    private readonly CpuConvF32? _fp32;
    private readonly Int8Parameters? _parameters;
    private readonly ResidualSum? _residual;
    private readonly int _k;
    private PlanTensor? _pooled;

    public HostConvolutionStep(Engine engine, PlanNode node)
        : base(engine, node)
    {
        var dims = Input().Dims;
        float[] w;
        float[]? bias;
        ConvProblem p;
        int cg;
        bool fc = node.Layer is FullyConnectedLayer;
        if (node.Layer is ConvolutionLayer conv)
        {
            p = conv.Problem(1, dims);
            (w, bias, cg) = (conv.WeightArray, conv.BiasArray, dims.C / conv.Groups);
        }
        else
        {
            var f = (FullyConnectedLayer)node.Layer;
            p = new ConvProblem(1, (int)dims.Volume, 1, 1, f.OutputCount, 1, 1);
            (w, bias, cg) = (f.WeightArray, f.BiasArray, (int)dims.Volume);
        }

        _k = p.K;
        T[] Relayout<T>(T[] v) => fc ? WeightLayout.FullyConnectedNchwToNhwc<T>(v, p.K, dims.C, dims.H, dims.W) : WeightLayout.KcrsToKrsc<T>(v, p.K, cg, p.R, p.S);
        if (!node.Int8)
        {
            _fp32 = new CpuConvF32(Relayout(w), bias ?? [], p, node.Fused);
            return;
        }

        _parameters = Int8Parameters.ForNode(Plan, node, w, p.K, cg * p.R * p.S, bias);
        _residual = Int8Parameters.ResidualOf(Plan, node);
        _int8 = new CpuConvS8(Relayout(_parameters.Weights), p, engine.HostIsa);
    }

    /// <inheritdoc />
    public override string KernelName => _int8 is null ? "cpu_conv_f32" : $"cpu_conv_s8_{_int8.Isa.ToString().ToLowerInvariant()}";

    /// <summary>
    /// Takes over <paramref name="pool"/> (a 2×2 stride-2 INT8 max pool without padding, the only reader of this step's
    /// output): when the fused direct kernels run this layer with every multiplier ≥ 0, each batch writes the pooled
    /// output in one pass and the pool step does nothing (<see cref="CpuConvS8.ForwardPooled"/>); false leaves both as they are.
    /// </summary>
    public bool TryFusePool(PlanNode pool, PoolProblem problem)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(problem);
        if (_int8 is null || _residual is not null || _parameters!.FixedPoint is not null || Node.Layer is not ConvolutionLayer
            || problem is not { R: 2, S: 2, StrideH: 2, StrideW: 2, PadH: 0, PadW: 0, PadBottom: 0, PadRight: 0 }
            || problem.P != _int8.Problem.P / 2 || problem.Q != _int8.Problem.Q / 2
            || Plan.Outputs.Contains(Node.Output) || Plan.Consumers(Node.Output).Count() != 1)
        {
            return false;
        }

        if (!_int8.FusesPoolWith(_parameters.Sink(null, _k)))
        {
            return false;
        }

        _pooled = Plan.Tensors[pool.Output];
        return true;
    }

    /// <summary>True when a pool step's work runs here (see <see cref="TryFusePool"/>) in this context.</summary>
    public bool PoolsIn(ExecutionContext context) => _pooled is not null && !context.Unfused;

    public override void Run(ExecutionContext context, int batch)
    {
        if (_pooled is { } pooled && PoolsIn(context))
        {
            _int8!.ForwardPooled(context.Pointer<sbyte>(Input(), batch), batch, _parameters!.Sink(context.Pointer<sbyte>(pooled, batch), _k));
            return;
        }

        if (_int8 is null)
        {
            _fp32!.Forward(context.Pointer<float>(Input(), batch), batch, context.Pointer<float>(Output, batch));
            return;
        }

        var prm = _parameters!;
        var y = context.Pointer<sbyte>(Output, batch);
        _int8.Forward(context.Pointer<sbyte>(Input(), batch), batch, prm.Sink(y, _k));
        if (_residual is { } sum)
        {
            // The fused residual sum, in place over the requantized output t: y = Sum(t, skip) (+ ReLU).
            HostElementWiseStep.ResidualSum(y, context.Pointer<sbyte>(Input(1), batch), y, Elements(Output, batch), sum);
        }
    }
}
