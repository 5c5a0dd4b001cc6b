using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Tensors;

namespace ILGPUInt8.Layers.Runtime;

/// <summary>
/// An FP16 step made of the layer's float step (FP32 arithmetic on half inputs and, for weight layers, half weights):
/// its 2-byte half inputs are widened into float copies in the context's widening buffer (exact), the float step runs on those
/// copies (<see cref="ExecutionContext.Redirect"/>) and writes a float copy of the output, which is stored as halves,
/// h = HalfConvert.FromFloat(y) (round-to-nearest-even: <see cref="HalfPack"/> on the ILGPU backends,
/// <see cref="HostConvert.PackHalf"/> on the CPU backend, the same integer arithmetic). An output held in float words (an
/// engine output, or any FP16 tensor of an engine file before version 9) is rounded in place instead,
/// y = HalfConvert.Round(y). A fused activation is applied before that one rounding. Steps that read and write halves
/// themselves (<see cref="Step.HandlesHalfStorage"/>) are not wrapped.
/// </summary>
internal sealed unsafe class HalfIoStep : Step
{
    private readonly Step _inner;
    private readonly PlanTensor[] _halfInputs;

    // FloatsPerItem, made once: a step allocates nothing when it runs.
    private readonly long _floatsPerItem;

    public HalfIoStep(Step inner)
        : base(inner.Engine, inner.Node)
    {
        _inner = Own(inner);
        _halfInputs = HalfInputs(Plan, Node);
        _floatsPerItem = FloatsPerItem(Plan, Node);
    }

    /// <inheritdoc />
    public override int Launches => _inner.Launches + _halfInputs.Length + 1;

    /// <summary>
    /// What this step uses of the context's one widening buffer (<see cref="ExecutionContext.WideningScratch"/>, shared by
    /// every FP16 step that needs one: they run one after another), at the maximum batch.
    /// </summary>
    public long WideningBytes => _floatsPerItem * Plan.MaxBatchSize * sizeof(float);

    /// <inheritdoc />
    public override long ScratchBytes => _inner.ScratchBytes + WideningBytes;

    /// <inheritdoc />
    public override int FusedInput => _inner.FusedInput;

    /// <inheritdoc />
    public override bool FusedInputTakesImages => _inner.FusedInputTakesImages;

    /// <inheritdoc />
    public override string KernelName =>
        (_halfInputs.Length > 0 ? "unpack_f16+" : string.Empty) + _inner.KernelName + (HalfOutput ? "+pack_f16" : "+round_f16");

    private bool HalfOutput => Output.Type == DataType.Half;

    /// <summary>Widening bytes of the wrapper (without its float step's scratch) for an FP16 node, from the plan alone.</summary>
    public static long ScratchFor(Plan plan, PlanNode node) =>
        !node.Half || node.IsView ? 0 : checked(FloatsPerItem(plan, node) * plan.MaxBatchSize * sizeof(float));

    // The node's distinct 2-byte half inputs (constants are float words).
    private static PlanTensor[] HalfInputs(Plan plan, PlanNode node) =>
        [.. node.Inputs.Distinct().Select(id => plan.Tensors[id]).Where(t => t.Type == DataType.Half)];

    // Floats of one batch item in the widening buffer: a copy of each half input, then of a half output.
    private static long FloatsPerItem(Plan plan, PlanNode node)
    {
        var output = plan.Tensors[node.Output];
        return HalfInputs(plan, node).Sum(t => t.Dims.Volume) + (output.Type == DataType.Half ? output.Dims.Volume : 0);
    }

    /// <inheritdoc />
    public override void Run(ExecutionContext context, int batch)
    {
        var scratch = _floatsPerItem == 0 ? default : context.WideningScratch(_floatsPerItem * Plan.MaxBatchSize);
        long at = 0;
        try
        {
            foreach (var t in _halfInputs)
            {
                var count = t.Dims.Volume * batch;
                var copy = scratch.SubView(at, count);
                Widen(context, t, copy, count, batch);
                context.Redirect(t, copy.Cast<byte>());
                at += count;
            }

            var outputCount = Output.Dims.Volume * batch;
            var y = HalfOutput ? scratch.SubView(at, outputCount) : context.View<float>(Output, batch);
            if (HalfOutput)
            {
                context.Redirect(Output, y.Cast<byte>());
            }

            _inner.Run(context, batch);
            context.ClearRedirects();
            Store(context, y, outputCount, batch);
        }
        finally
        {
            context.ClearRedirects();
        }
    }

    // copy = the halves of t as floats.
    private void Widen(ExecutionContext context, PlanTensor t, ILGPU.ArrayView<float> copy, long count, int batch)
    {
        if (Engine.HostIsa is not null)
        {
            HostConvert.UnpackHalf(context.Pointer<ushort>(t, batch), ExecutionContext.Pointer(copy), count);
        }
        else
        {
            HalfUnpack.Run(Device, context.View<ushort>(t, batch), copy, count);
        }
    }

    // The output stored: packed to halves from the float copy y, or y rounded in place when the output is float words.
    private void Store(ExecutionContext context, ILGPU.ArrayView<float> y, long count, int batch)
    {
        if (HalfOutput)
        {
            var h = context.View<ushort>(Output, batch);
            if (Engine.HostIsa is not null)
            {
                HostConvert.PackHalf(ExecutionContext.Pointer(y), ExecutionContext.Pointer(h), count);
            }
            else
            {
                HalfPack.Run(Device, y, h, count);
            }
        }
        else if (Engine.HostIsa is not null)
        {
            var p = ExecutionContext.Pointer(y);
            HostConvert.RoundToHalf(p, p, count);
        }
        else
        {
            HalfRound.Run(Device, y, y, count);
        }
    }
}
