using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Onnx;

/// <summary>
/// Slice (step 1) and Split of a run-time tensor → <see cref="SliceSpec"/>s: a range of one dimension other than the batch
/// (a Slice that keeps every dimension whole is a view). Slice takes starts/ends/axes/steps as attributes before opset
/// 10 and as constant inputs from 10; Split takes its sizes as the 'split' attribute before opset 13, as input 1 from
/// 13, and divides evenly when they are absent (num_outputs from opset 18). Constant inputs are folded instead.
/// </summary>
internal sealed class SliceMapper : IOnnxOpMapper
{
    public IReadOnlyList<string> OpTypes { get; } = ["Slice", "Split"];

    public IReadOnlyList<int> ConstantInputs(OnnxNode node) => node.OpType == "Slice" ? [1, 2, 3, 4] : [1];

    public long? EarliestOpset(string opType) => opType == "Split" ? 2 : 1;

    public void Map(OnnxNode node, OnnxMapContext context)
    {
        var x = context.Runtime(node, 0);
        if (node.OpType == "Split")
        {
            Split(node, context, x);
            return;
        }

        int rank = x.Shape.Count;
        long[] starts, ends, axes, steps;
        if (node.Opset < 10)
        {
            starts = node.GetInts("starts") ?? throw node.Error("attribute 'starts' is required.");
            ends = node.GetInts("ends") ?? throw node.Error("attribute 'ends' is required.");
            axes = node.GetInts("axes") ?? [.. Enumerable.Range(0, starts.Length).Select(i => (long)i)];
            steps = [.. starts.Select(_ => 1L)];
        }
        else
        {
            starts = Ints(context.Constant(node, 1, "the starts"));
            ends = Ints(context.Constant(node, 2, "the ends"));
            axes = context.OptionalConstant(node, 3, "the axes") is { } a ? Ints(a) : [.. Enumerable.Range(0, starts.Length).Select(i => (long)i)];
            steps = context.OptionalConstant(node, 4, "the steps") is { } s ? Ints(s) : [.. starts.Select(_ => 1L)];
        }

        if (starts.Length != ends.Length || axes.Length != starts.Length || steps.Length != starts.Length)
        {
            throw node.Error("starts, ends, axes and steps must have one value per sliced axis.");
        }

        var shape = x.Shape.ToArray();
        SliceSpec? spec = null;
        for (int i = 0; i < axes.Length; i++)
        {
            int axis = OnnxShapes.Axis(node, axes[i], rank);
            if (steps[i] != 1)
            {
                throw node.Unsupported($"step {steps[i]} along axis {axis} (only step 1)");
            }

            long dim = x.Shape[axis];
            long start = Clamp(starts[i], dim), end = Clamp(ends[i], dim);
            if (start == 0 && end >= dim)
            {
                continue;
            }

            if ((axis == 0 && !context.UnitBatch) || spec is not null)
            {
                throw node.Unsupported(axis == 0 ? "slicing the batch dimension" : "slicing more than one dimension");
            }

            if (end <= start)
            {
                throw node.Error($"the slice [{start}, {end}) of axis {axis} is empty.");
            }

            spec = new SliceSpec(axis, (int)start, (int)(end - start));
            shape[axis] = end - start;
        }

        context.AddLayer(node, spec ?? (LayerSpec)new ReshapeSpec(), [x], shape);
    }

    private static void Split(OnnxNode node, OnnxMapContext context, ImportedTensor x)
    {
        int rank = x.Shape.Count;
        int axis = OnnxShapes.Axis(node, node.GetInt("axis", 0), rank);
        if (axis == 0 && !context.UnitBatch)
        {
            throw node.Unsupported("splitting the batch dimension");
        }

        long dim = x.Shape[axis];
        int outputs = node.Outputs.Count;
        long[]? sizes = node.Opset < 13 ? node.GetInts("split") : context.OptionalConstant(node, 1, "the split sizes") is { } c ? Ints(c) : null;
        if (sizes is null)
        {
            long part = (dim + outputs - 1) / outputs; // opset 18: the last part may be smaller
            sizes = [.. Enumerable.Range(0, outputs).Select(i => Math.Min(part, dim - (i * part)))];
        }

        if (sizes.Length != outputs || sizes.Any(s => s <= 0) || sizes.Sum() != dim)
        {
            throw node.Error($"split sizes [{string.Join(", ", sizes)}] do not cover the {dim} indices of axis {axis} in {outputs} outputs.");
        }

        long offset = 0;
        for (int i = 0; i < outputs; i++)
        {
            var shape = x.Shape.ToArray();
            shape[axis] = sizes[i];
            if (node.Outputs[i].Length > 0)
            {
                context.AddLayer(node, new SliceSpec(axis, (int)offset, (int)sizes[i]), [x], shape, i);
            }

            offset += sizes[i];
        }
    }

    // ONNX: a negative index counts from the end; then clamped to [0, dim].
    private static long Clamp(long v, long dim) => Math.Clamp(v < 0 ? v + dim : v, 0, dim);

    private static long[] Ints(ConstantValue c) => c.Tensor.IsFloat ? throw new OnnxImportException("Slice: indices must be integers.") : c.Tensor.ToInt64Array();
}

/// <summary>A range [Start, Start + Length) of ONNX dimension <see cref="Axis"/> (not the batch), the others whole.</summary>
/// <param name="Axis">The ONNX dimension.</param>
/// <param name="Start">The first index kept.</param>
/// <param name="Length">How many are kept.</param>
public sealed record SliceSpec(int Axis, int Start, int Length) : LayerSpec
{
    /// <inheritdoc />
    public override string Kind => "Slice";

    /// <inheritdoc />
    internal override Layer AddTo(OnnxNetworkAdapter adapter, string name) => adapter.Slice(this, name);

    internal override LayerSpec WithUnitBatch(IReadOnlyList<IReadOnlyList<long>> inputShapes) => this with { Axis = Axis + 1 };
}
