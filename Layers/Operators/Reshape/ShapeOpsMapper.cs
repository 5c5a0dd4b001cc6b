using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Onnx;

/// <summary>
/// Flatten, Reshape, Squeeze, Unsqueeze of run-time tensors → <see cref="ReshapeSpec"/> views that keep the batch at
/// dimension 0; Identity and Dropout (inference, or training with ratio 0) → aliases; Cast of a run-time tensor to its own type (float to float or float16: float16 tensors run as float,
/// or the uint8/int8 between a QuantizeLinear and its DequantizeLinear, as torch exports) → an alias.
/// Constant operands are folded by <see cref="ConstantFolder"/>.
/// </summary>
internal sealed class ShapeOpsMapper : IOnnxOpMapper
{
    public IReadOnlyList<string> OpTypes { get; } = ["Flatten", "Reshape", "Squeeze", "Unsqueeze", "Identity", "Dropout", "Cast"];

    public IReadOnlyList<int> ConstantInputs(OnnxNode node) => node.OpType switch
    {
        "Reshape" or "Squeeze" or "Unsqueeze" => [1],
        "Dropout" => [1, 2],
        _ => [],
    };

    public void Map(OnnxNode node, OnnxMapContext context)
    {
        if (node.OpType is "Identity" or "Dropout")
        {
            Alias(node, context);
            return;
        }
        if (node.OpType == "Cast")
        {
            var to = (OnnxDataType)node.GetInt("to", 0);
            var from = context.Value(node, 0) switch
            {
                QuantizedRuntimeValue q => q.Type,
                RuntimeValue => OnnxDataType.Float,
                _ => OnnxDataType.Undefined,
            };
            // float16 run-time tensors are float tensors here (a float16 model runs in the builder's precision).
            if (to == OnnxDataType.Float16 && from == OnnxDataType.Float)
            {
                to = OnnxDataType.Float;
            }
            if (to != from)
            {
                throw node.Unsupported($"Cast of a run-time {from} tensor to {to} (only casts to the same type)");
            }
            context.Define(node.Outputs[0], context.Value(node, 0));
            return;
        }
        var x = context.Runtime(node, 0);
        long batch = context.BatchDim;
        long[] shape = node.OpType switch
        {
            "Flatten" => FlattenShape(node, x.Shape),
            "Reshape" => ReshapeShape(node, x.Shape, Ints(context.Constant(node, 1, "the shape")), node.GetInt("allowzero", 0) != 0, batch),
            "Squeeze" => SqueezeShape(node, x.Shape, Axes(node, context)),
            _ => UnsqueezeShape(node, x.Shape, Axes(node, context) ?? throw node.Error("axes are required.")),
        };
        if (!context.UnitBatch && (shape.Length == 0 || shape[0] != batch))
        {
            throw node.Unsupported($"reshaping {OnnxShapes.Format(x.Shape)} to {OnnxShapes.Format(shape)} moves data across the batch dimension");
        }
        context.AddLayer(node, new ReshapeSpec(), [x], shape);
    }

    private static void Alias(OnnxNode node, OnnxMapContext context)
    {
        if (node.OpType == "Dropout")
        {
            if (node.Outputs.Count > 1 && node.Outputs[1].Length > 0
                && (context.Graph.Consumers(node.Outputs[1]).Count > 0 || context.Graph.IsGraphOutput(node.Outputs[1])))
            {
                throw node.Unsupported("reading the mask output");
            }
            // Training mode drops each value with probability ratio (random); ratio 0 keeps every value: y = x.
            if (context.OptionalConstant(node, 2, "training_mode") is { } training && training.Tensor.ToFloatArray().Any(v => v != 0))
            {
                float ratio = node.Opset < 12
                    ? node.GetFloat("ratio", 0.5f)
                    : context.OptionalConstant(node, 1, "the ratio") is { } r ? r.Tensor.ToFloatArray().Single() : 0.5f;
                if (ratio != 0f)
                {
                    throw node.Unsupported($"training_mode = true with ratio {ratio} (random dropout; only ratio 0 is deterministic)");
                }
            }
        }
        context.Define(node.Outputs[0], context.Value(node, 0));
    }

    internal static long[] Ints(ConstantValue c) => c.Tensor.IsFloat
        ? throw new InvalidOperationException("float shape")
        : c.Tensor.ToInt64Array();

    private static long[]? Axes(OnnxNode node, OnnxMapContext context)
    {
        if (node.Opset < 13)
        {
            return node.GetInts("axes");
        }
        var c = context.OptionalConstant(node, 1, "the axes");
        return c is null ? null : c.Tensor.IsFloat ? throw node.Error("axes must be integers.") : c.Tensor.ToInt64Array();
    }

    /// <summary>Flatten to [d0·…·d(axis−1), d(axis)·…].</summary>
    internal static long[] FlattenShape(OnnxNode node, IReadOnlyList<long> s)
    {
        int rank = s.Count;
        long axis = node.GetInt("axis", 1);
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a > rank)
        {
            throw node.Error($"axis {axis} is out of range for rank {rank}.");
        }
        return [Product(s, 0, (int)a), Product(s, (int)a, rank)];
    }

    /// <summary>A product where a dynamic batch (−1) times 1s stays dynamic; times anything else is refused.</summary>
    private static long Product(IReadOnlyList<long> s, int from, int to)
    {
        bool dynamic = false;
        long p = 1;
        for (int i = from; i < to; i++)
        {
            if (s[i] == ImportedTensor.DynamicBatch || s[i] == OnnxShapes.BatchMarker)
            {
                dynamic = true;
            }
            else
            {
                p = checked(p * s[i]);
            }
        }
        return dynamic ? (p == 1 ? ImportedTensor.DynamicBatch : long.MaxValue) : p;
    }

    /// <summary>
    /// The Reshape target: 0 copies the input dimension (unless allowzero), −1 is inferred, a folded batch marker
    /// (dimension 0 only) is the batch. With a dynamic batch the target must keep the batch at dimension 0.
    /// </summary>
    internal static long[] ReshapeShape(OnnxNode node, IReadOnlyList<long> input, long[] target, bool allowZero, long batch)
    {
        var r = new long[target.Length];
        int infer = -1;
        bool dynamic = input.Count > 0 && input[0] == ImportedTensor.DynamicBatch;
        for (int i = 0; i < target.Length; i++)
        {
            long t = target[i];
            if (t == OnnxShapes.BatchMarker)
            {
                r[i] = i == 0 ? batch : throw node.Unsupported("the batch size at a dimension other than 0");
            }
            else if (t == 0 && !allowZero)
            {
                r[i] = i < input.Count ? input[i] : throw node.Error($"shape entry {i} copies a dimension the input lacks.");
            }
            else if (t == -1)
            {
                r[i] = infer < 0 ? 0 : throw node.Error("the shape has two -1 entries.");
                infer = i;
            }
            else if (t <= 0)
            {
                throw node.Unsupported($"shape entry {t} (empty tensors)");
            }
            else
            {
                r[i] = t;
            }
        }
        if (dynamic)
        {
            if (infer == 0)
            {
                r[0] = ImportedTensor.DynamicBatch;
                infer = -1;
                if (Known(r, 1) != OnnxShapes.Product(input, 1))
                {
                    throw node.Unsupported($"reshaping {OnnxShapes.Format(input)} to [{string.Join(", ", target)}] moves data across the batch dimension");
                }
                return r;
            }
            if (r.Length == 0 || r[0] != ImportedTensor.DynamicBatch)
            {
                throw node.Unsupported($"a target shape [{string.Join(", ", target)}] that fixes the dynamic batch dimension (import with a BatchSize)");
            }
            Fill(node, r, infer, OnnxShapes.Product(input, 1), 1);
            return r;
        }
        Fill(node, r, infer, OnnxShapes.Product(input), 0);
        return r;
    }

    private static long Known(long[] r, int from)
    {
        long p = 1;
        for (int i = from; i < r.Length; i++)
        {
            p = checked(p * (r[i] == 0 ? 1 : r[i]));
        }
        return p;
    }

    private static void Fill(OnnxNode node, long[] r, int infer, long total, int from)
    {
        long known = Known(r, from);
        if (infer >= 0)
        {
            if (known == 0 || total % known != 0)
            {
                throw node.Error($"cannot infer the -1 entry: {total} elements do not divide by {known}.");
            }
            r[infer] = total / known;
        }
        else if (known != total)
        {
            throw node.Error($"the target shape holds {known} elements per item, the input {total}.");
        }
    }

    /// <summary>Removes the listed axes (each of size 1), or every size-1 dimension when none are listed.</summary>
    internal static long[] SqueezeShape(OnnxNode node, IReadOnlyList<long> s, long[]? axes)
    {
        int rank = s.Count;
        var remove = new HashSet<int>();
        if (axes is null)
        {
            for (int i = 0; i < rank; i++)
            {
                if (s[i] == 1)
                {
                    remove.Add(i);
                }
            }
        }
        else
        {
            foreach (long a in axes)
            {
                int i = OnnxShapes.Axis(node, a, rank);
                if (s[i] != 1)
                {
                    throw node.Error($"axis {a} has size {OnnxShapes.Format([s[i]])}, not 1.");
                }
                remove.Add(i);
            }
        }
        return [.. s.Where((_, i) => !remove.Contains(i))];
    }

    /// <summary>Inserts size-1 dimensions at the listed positions of the output.</summary>
    internal static long[] UnsqueezeShape(OnnxNode node, IReadOnlyList<long> s, long[] axes)
    {
        int rank = s.Count + axes.Length;
        var insert = new HashSet<int>();
        foreach (long a in axes)
        {
            if (!insert.Add(OnnxShapes.Axis(node, a, rank)))
            {
                throw node.Error($"axis {a} is listed twice.");
            }
        }
        var r = new long[rank];
        int source = 0;
        for (int i = 0; i < rank; i++)
        {
            r[i] = insert.Contains(i) ? 1 : s[source++];
        }
        return r;
    }
}

/// <summary>Reshape / Flatten / Squeeze / Unsqueeze → a reshape (a flatten when the target is a vector).</summary>
public sealed partial record ReshapeSpec
{
    internal override Layer AddTo(OnnxNetworkAdapter adapter, string name) => adapter.Reshape(adapter.In(0), adapter.OutputDims, name);

    internal override LayerSpec WithUnitBatch(IReadOnlyList<IReadOnlyList<long>> inputShapes) => this;
}
