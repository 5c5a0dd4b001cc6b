using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Onnx;

/// <summary>
/// Add, Mul, Max, Sum (numpy broadcasting). Two run-time tensors → <see cref="ElementWiseSpec"/>; Add or Mul of
/// a run-time tensor and a constant that does not vary along the batch → <see cref="ScaleSpec"/> (per tensor,
/// per channel, or per element); other constants become Constant layers. Variadic Sum/Max chain pairwise.
/// </summary>
internal sealed class ElementWiseMapper : IOnnxOpMapper
{
    public IReadOnlyList<string> OpTypes { get; } = ["Add", "Mul", "Max", "Sum"];

    public IReadOnlyList<int> ConstantInputs(OnnxNode node) => [];

    public void Map(OnnxNode node, OnnxMapContext context)
    {
        int count = node.Inputs.Count;
        if (count == 0 || node.Inputs.Any(i => i.Length == 0))
        {
            throw node.Error("every input must be present.");
        }
        if (node.OpType is "Add" or "Mul" && count != 2)
        {
            throw node.Error($"{node.OpType} takes two inputs; it has {count}.");
        }
        if (count == 1)
        {
            context.Define(node.Outputs[0], context.Value(node, 0));
            return;
        }
        var op = node.OpType switch
        {
            "Mul" => OnnxElementWise.Product,
            "Max" => OnnxElementWise.Max,
            _ => OnnxElementWise.Sum,
        };
        // Pairwise: ((in0 ∘ in1) ∘ in2) ∘ …, the last step named as the node's output.
        OnnxValue left = context.Value(node, 0);
        for (int i = 1; i < count; i++)
        {
            string name = i == count - 1 ? node.Outputs[0] : context.InternalName(node, $"partial{i}");
            left = new RuntimeValue(Binary(node, context, op, left, 0, context.Value(node, i), i, name));
        }
    }

    private static ImportedTensor Binary(OnnxNode node, OnnxMapContext context, OnnxElementWise op,
        OnnxValue a, int aSlot, OnnxValue b, int bSlot, string output)
    {
        var (r, c) = (a, b) switch
        {
            (RuntimeValue x1, ConstantValue c1) => (x1, c1),
            (ConstantValue c2, RuntimeValue x2) => (x2, c2),
            _ => ((RuntimeValue?)null, (ConstantValue?)null),
        };
        if (op != OnnxElementWise.Max && r is not null && c is not null && ScaleFor(op, r.Tensor, c.Tensor) is { } scale)
        {
            return context.AddLayer(node, scale, [r.Tensor], [.. r.Tensor.Shape], output);
        }
        var x = Tensor(node, context, a, aSlot);
        var y = Tensor(node, context, b, bSlot);
        var shape = OnnxShapes.Broadcast(node, x.Shape, y.Shape);
        // Constants have no batch dimension; the result must keep the run-time inputs' rank and batch.
        int batchedRank = Math.Max(a is ConstantValue ? 0 : x.Shape.Count, b is ConstantValue ? 0 : y.Shape.Count);
        if (shape.Length != batchedRank || (!context.UnitBatch && shape[0] != context.BatchDim))
        {
            throw node.Unsupported($"broadcasting {OnnxShapes.Format(x.Shape)} with {OnnxShapes.Format(y.Shape)} changes the batch dimension");
        }
        return context.AddLayer(node, new ElementWiseSpec(op), [x, y], shape, output);
    }

    private static ImportedTensor Tensor(OnnxNode node, OnnxMapContext context, OnnxValue v, int slot) =>
        v is RuntimeValue r ? r.Tensor : context.Runtime(node, slot);

    /// <summary>
    /// x ∘ c as y = x·scale + shift when c, right-aligned to x's rank, has size 1 along the batch and does not
    /// widen x: per tensor (one value), per channel (varies only along dimension 1) or per element (tiled over
    /// one batch item). Null when c does not fit.
    /// </summary>
    internal static ScaleSpec? ScaleFor(OnnxElementWise op, ImportedTensor x, OnnxTensor c)
    {
        int rank = x.Shape.Count;
        if (!c.IsFloat || c.Dims.Count > rank || rank == 0)
        {
            return null;
        }
        var cd = new long[rank];
        for (int i = 0; i < rank; i++)
        {
            int j = i - (rank - c.Dims.Count);
            cd[i] = j >= 0 ? c.Dims[j] : 1;
            if (cd[i] != 1 && cd[i] != x.Shape[i])
            {
                return null;
            }
        }
        if (cd[0] != 1)
        {
            return null;
        }
        float[] values = c.ToFloatArray();
        ScaleMode mode;
        float[] coefficients;
        if (values.Length == 1)
        {
            mode = ScaleMode.PerTensor;
            coefficients = values;
        }
        else if (cd.Select((d, i) => i == 1 || d == 1).All(b => b))
        {
            mode = ScaleMode.PerChannel;
            coefficients = values;
        }
        else
        {
            mode = ScaleMode.PerElement;
            coefficients = Tile(values, cd, x.Shape);
        }
        var ones = Enumerable.Repeat(1f, coefficients.Length).ToArray();
        var zeros = new float[coefficients.Length];
        return op == OnnxElementWise.Sum ? new ScaleSpec(mode, ones, coefficients) : new ScaleSpec(mode, coefficients, zeros);
    }

    /// <summary>Expands c (dims <paramref name="cd"/>, each 1 or equal to x's) over one batch item of x.</summary>
    private static float[] Tile(float[] c, long[] cd, IReadOnlyList<long> x)
    {
        int rank = x.Count;
        long volume = OnnxShapes.Product(x, 1);
        var result = new float[volume];
        var index = new long[rank];
        for (long e = 0; e < volume; e++)
        {
            long rest = e;
            for (int d = rank - 1; d >= 1; d--)
            {
                index[d] = rest % x[d];
                rest /= x[d];
            }
            long source = 0;
            for (int d = 1; d < rank; d++)
            {
                source = (source * cd[d]) + (cd[d] == 1 ? 0 : index[d]);
            }
            result[e] = c[source];
        }
        return result;
    }
}

/// <summary>Add / Mul / Max → an element-wise layer (constant operands expanded, second).</summary>
public sealed partial record ElementWiseSpec
{
    internal override Layer AddTo(OnnxNetworkAdapter adapter, string name) => adapter.ElementWise(this, name);

    internal override LayerSpec WithUnitBatch(IReadOnlyList<IReadOnlyList<long>> inputShapes) => this;
}
