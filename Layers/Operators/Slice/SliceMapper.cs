using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Onnx;

/// <summary>
/// Slice and Split of a run-time tensor → <see cref="SliceSpec"/>s: every step-th index of a range of one dimension other
/// than the batch, one spec per sliced dimension, chained (a Slice that keeps every dimension whole is a view). Slice takes starts/ends/axes/steps as attributes before opset
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

        // Each sliced axis becomes one strided slice; they are chained, the last one writing the node's output.
        var shape = x.Shape.ToArray();
        var specs = new List<(SliceSpec Spec, long[] Shape)>();
        for (int i = 0; i < axes.Length; i++)
        {
            int axis = OnnxShapes.Axis(node, axes[i], rank);
            if (steps[i] == 0)
            {
                throw node.Error($"step 0 along axis {axis}.");
            }

            long dim = x.Shape[axis];
            var (start, length) = Range(starts[i], ends[i], steps[i], dim);
            if (steps[i] == 1 && start == 0 && length == dim)
            {
                continue;
            }

            if (axis == 0 && !context.UnitBatch)
            {
                throw node.Unsupported("slicing the batch dimension");
            }

            if (length <= 0)
            {
                throw node.Error($"the slice of axis {axis} (start {starts[i]}, end {ends[i]}, step {steps[i]}) is empty.");
            }

            if (steps[i] is > int.MaxValue or < int.MinValue)
            {
                throw node.Unsupported($"step {steps[i]}");
            }

            shape[axis] = length;
            specs.Add((new SliceSpec(axis, (int)start, (int)length, (int)steps[i]), [.. shape]));
        }

        if (specs.Count == 0)
        {
            context.AddLayer(node, new ReshapeSpec(), [x], shape);
            return;
        }

        for (int k = 0; k < specs.Count; k++)
        {
            x = k == specs.Count - 1
                ? context.AddLayer(node, specs[k].Spec, [x], specs[k].Shape)
                : context.AddLayer(node, specs[k].Spec, [x], specs[k].Shape, context.InternalName(node, $"slice{k}"));
        }
    }

    /// <summary>
    /// ONNX Slice along a dimension of size d: a negative start or end counts from the end (+ d); for step &gt; 0 both are
    /// clamped to [0, d], for step &lt; 0 start to [0, d − 1] and end to [−1, d − 1]; the indices are start + j·step
    /// for j in [0, length) with length = max(0, ⌈(end − start) / step⌉).
    /// </summary>
    internal static (long Start, long Length) Range(long start, long end, long step, long dim)
    {
        start = start < 0 ? start + dim : start;
        end = end < 0 ? end + dim : end;
        long span;
        if (step > 0)
        {
            start = Math.Clamp(start, 0, dim);
            span = Math.Clamp(end, 0, dim) - start;
        }
        else
        {
            start = Math.Clamp(start, 0, dim - 1);
            span = start - Math.Clamp(end, -1, dim - 1);
        }

        // ⌈span / |step|⌉ without overflow (|long.MinValue| fits an unsigned long).
        ulong magnitude = step > 0 ? (ulong)step : (ulong)(-(step + 1)) + 1;
        return (start, span <= 0 ? 0 : 1 + (long)((ulong)(span - 1) / magnitude));
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

    private static long[] Ints(ConstantValue c) => c.Tensor.IsFloat ? throw new OnnxImportException("Slice: indices must be integers.") : c.Tensor.ToInt64Array();
}

/// <summary>Indices Start + j·Step, j in [0, Length), of ONNX dimension <see cref="Axis"/> (not the batch), the others whole.</summary>
/// <param name="Axis">The ONNX dimension.</param>
/// <param name="Start">The first index kept.</param>
/// <param name="Length">How many are kept.</param>
/// <param name="Step">The distance between two kept indices (negative: backwards).</param>
public sealed record SliceSpec(int Axis, int Start, int Length, int Step = 1) : LayerSpec
{
    /// <inheritdoc />
    public override string Kind => "Slice";

    /// <inheritdoc />
    internal override Layer AddTo(OnnxNetworkAdapter adapter, string name) => adapter.Slice(this, name);

    internal override LayerSpec WithUnitBatch(IReadOnlyList<IReadOnlyList<long>> inputShapes) => this with { Axis = Axis + 1 };
}
