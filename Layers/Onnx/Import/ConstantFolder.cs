namespace ILGPUInt8.Layers.Onnx;

/// <summary>
/// Evaluates shape arithmetic at import time: Shape of a run-time tensor (the dynamic batch as a marker), and
/// Identity, Cast, Gather, Unsqueeze, Squeeze, Concat, Reshape, Flatten, Slice, Add, Sub, Mul, Div, Max, Min,
/// Sum, Neg, ConstantOfShape, Dropout whenever all inputs are constants. This turns the exporters'
/// Shape → Gather → Unsqueeze → Concat → Reshape chains into a constant target shape. Arithmetic on the
/// dynamic batch size is refused (import with a fixed batch size instead). Results are capped at 2^24 elements.
/// </summary>
internal static class ConstantFolder
{
    private const long MaxFoldedElements = 1 << 24;

    public static IReadOnlyCollection<string> Operators { get; } =
    [
        "Shape", "Identity", "Cast", "Gather", "Unsqueeze", "Squeeze", "Concat", "Reshape", "Flatten", "Slice",
        "Add", "Sub", "Mul", "Div", "Max", "Min", "Sum", "Neg", "ConstantOfShape", "Dropout", "Size",
    ];

    private static readonly HashSet<string> OperatorSet = [.. Operators];

    /// <summary>Folds the node when it is foldable and its inputs are constants; false leaves it to a mapper.</summary>
    public static bool TryFold(OnnxNode node, OnnxMapContext context)
    {
        if (!OperatorSet.Contains(node.OpType))
        {
            return false;
        }
        if (node.OpType is "Shape" or "Size" && context.Value(node, 0) is RuntimeValue r)
        {
            Define(node, context, node.OpType == "Shape" ? ShapeOf(node, r.Tensor.Shape) : SizeOf(node, r.Tensor.Shape));
            return true;
        }
        if (node.Inputs.Count == 0 || !context.AllConstant(node))
        {
            return false;
        }
        var inputs = new OnnxTensor?[node.Inputs.Count];
        for (int i = 0; i < inputs.Length; i++)
        {
            inputs[i] = node.InputOrNull(i) is null ? null : context.Constant(node, i, "input").Tensor;
        }
        OnnxTensor x = inputs[0] ?? throw node.Error("input 0 is missing.");
        OnnxTensor result = node.OpType switch
        {
            "Identity" or "Dropout" => x,
            "Shape" => ShapeOf(node, [.. x.Dims]),
            "Size" => SizeOf(node, [.. x.Dims]),
            "Cast" => Cast(node, x),
            "Gather" => Gather(node, x, Required(node, inputs, 1)),
            "Unsqueeze" => Reshaped(x, ShapeOpsMapper.UnsqueezeShape(node, x.Dims, Axes(node, inputs) ?? throw node.Error("axes are required."))),
            "Squeeze" => Reshaped(x, ShapeOpsMapper.SqueezeShape(node, x.Dims, Axes(node, inputs))),
            "Reshape" => Reshaped(x, ShapeOpsMapper.ReshapeShape(node, x.Dims, Ints(node, Required(node, inputs, 1)), node.GetInt("allowzero", 0) != 0, 1)),
            "Flatten" => Reshaped(x, ShapeOpsMapper.FlattenShape(node, x.Dims)),
            "Concat" => Concat(node, inputs),
            "Slice" => Slice(node, x, inputs),
            "ConstantOfShape" => ConstantOfShape(node, x),
            _ => Arithmetic(node, inputs),
        };
        if (node.OpType == "Dropout" && node.Outputs.Count > 1 && node.Outputs[1].Length > 0)
        {
            return false; // The mask output: leave it to the mapper, which refuses it when read.
        }
        Define(node, context, result);
        return true;
    }

    private static void Define(OnnxNode node, OnnxMapContext context, OnnxTensor value)
    {
        if (value.ElementCount > MaxFoldedElements)
        {
            throw node.Unsupported($"folding a constant of {value.ElementCount} elements (the cap is {MaxFoldedElements})");
        }
        string name = node.Outputs.Count > 0 && node.Outputs[0].Length > 0 ? node.Outputs[0] : throw node.Error("output 0 is missing.");
        context.Define(name, new ConstantValue(value.WithShape(name, value.Dims)));
    }

    private static OnnxTensor Required(OnnxNode node, OnnxTensor?[] inputs, int i) =>
        i < inputs.Length && inputs[i] is { } t ? t : throw node.Error($"input {i} is required.");

    private static long[] Ints(OnnxNode node, OnnxTensor t) => t.IsFloat ? throw node.Error($"'{t.Name}' must hold integers.") : t.ToInt64Array();

    private static OnnxTensor Reshaped(OnnxTensor x, long[] dims)
    {
        if (dims.Any(d => d < 0))
        {
            throw new OnnxImportException($"a folded constant '{x.Name}' cannot take the dynamic batch dimension.");
        }
        return x.WithShape(x.Name, dims);
    }

    private static long[]? Axes(OnnxNode node, OnnxTensor?[] inputs) =>
        node.Opset < 13 ? node.GetInts("axes") : inputs.Length > 1 && inputs[1] is { } a ? Ints(node, a) : null;

    private static OnnxTensor ShapeOf(OnnxNode node, IReadOnlyList<long> dims)
    {
        long[] shape = [.. dims.Select(d => d == ImportedTensor.DynamicBatch ? OnnxShapes.BatchMarker : d)];
        int rank = shape.Length;
        long start = node.GetInt("start", 0), end = node.GetInt("end", rank);
        start = Math.Clamp(start < 0 ? start + rank : start, 0, rank);
        end = Math.Clamp(end < 0 ? end + rank : end, 0, rank);
        long[] slice = end > start ? shape[(int)start..(int)end] : [];
        return OnnxTensor.FromIntegers(node.Outputs[0], [slice.Length], slice);
    }

    private static OnnxTensor SizeOf(OnnxNode node, IReadOnlyList<long> dims)
    {
        if (dims.Any(d => d == ImportedTensor.DynamicBatch))
        {
            throw node.Unsupported("the size of a tensor with a dynamic batch (import with a fixed BatchSize)");
        }
        return OnnxTensor.FromIntegers(node.Outputs[0], [], [OnnxShapes.Product(dims)]);
    }

    private static void RefuseBatchMarker(OnnxNode node, OnnxTensor t)
    {
        if (!t.IsFloat && t.Integers.Contains(OnnxShapes.BatchMarker))
        {
            throw node.Unsupported("arithmetic on the dynamic batch size (import with a fixed BatchSize)");
        }
    }

    private static OnnxTensor Cast(OnnxNode node, OnnxTensor x)
    {
        var to = (OnnxDataType)node.GetInt("to", 0);
        if (to is OnnxDataType.Float or OnnxDataType.Double or OnnxDataType.Float16 or OnnxDataType.BFloat16)
        {
            RefuseBatchMarker(node, x);
            return OnnxTensor.FromFloats(x.Name, [.. x.Dims], x.ToFloatArray());
        }
        if (!OnnxDataTypes.IsInteger(to))
        {
            throw node.Unsupported($"Cast to {to}");
        }
        long[] values = x.IsFloat ? [.. x.Floats.ToArray().Select(v => float.IsFinite(v) ? (long)v : 0L)] : x.ToInt64Array();
        if (to == OnnxDataType.Bool)
        {
            values = [.. values.Select(v => v != 0 ? 1L : 0L)];
        }
        return OnnxTensor.FromIntegers(x.Name, [.. x.Dims], values, to);
    }

    private static OnnxTensor Gather(OnnxNode node, OnnxTensor data, OnnxTensor indices)
    {
        int rank = data.Dims.Count;
        if (rank == 0)
        {
            throw node.Error("Gather of a scalar.");
        }
        int axis = OnnxShapes.Axis(node, node.GetInt("axis", 0), rank);
        long[] idx = Ints(node, indices);
        long size = data.Dims[axis];
        long outer = OnnxShapes.Product(data.Dims, 0, axis), inner = OnnxShapes.Product(data.Dims, axis + 1);
        long[] dims = [.. data.Dims.Take(axis), .. indices.Dims, .. data.Dims.Skip(axis + 1)];
        CheckCount(node, dims);
        var sources = new long[outer * idx.Length * inner];
        long o = 0;
        for (long a = 0; a < outer; a++)
        {
            foreach (long raw in idx)
            {
                long i = raw < 0 ? raw + size : raw;
                if (i < 0 || i >= size)
                {
                    throw node.Error($"index {raw} is out of range for a dimension of {size}.");
                }
                for (long b = 0; b < inner; b++)
                {
                    sources[o++] = (((a * size) + i) * inner) + b;
                }
            }
        }
        return Pick(data, dims, sources);
    }

    private static OnnxTensor Pick(OnnxTensor data, long[] dims, long[] sources)
    {
        if (data.IsFloat)
        {
            var f = data.Floats;
            var picked = new float[sources.Length];
            for (int i = 0; i < picked.Length; i++)
            {
                picked[i] = f[(int)sources[i]];
            }
            return OnnxTensor.FromFloats(data.Name, dims, picked);
        }
        var v = data.Integers;
        var values = new long[sources.Length];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = v[(int)sources[i]];
        }
        return OnnxTensor.FromIntegers(data.Name, dims, values, data.DataType);
    }

    private static void CheckCount(OnnxNode node, IReadOnlyList<long> dims)
    {
        long count = 1;
        foreach (long d in dims)
        {
            if (d < 0 || (d > 0 && count > MaxFoldedElements / d))
            {
                throw node.Unsupported($"folding a constant of shape [{string.Join(", ", dims)}] (the cap is {MaxFoldedElements} elements)");
            }
            count *= d;
        }
    }

    private static OnnxTensor Concat(OnnxNode node, OnnxTensor?[] inputs)
    {
        var parts = inputs.Where(t => t is not null).Select(t => t!).ToArray();
        int rank = parts[0].Dims.Count;
        int axis = OnnxShapes.Axis(node, node.GetInt("axis", 0), rank);
        if (parts.Any(p => p.Dims.Count != rank || p.IsFloat != parts[0].IsFloat
            || Enumerable.Range(0, rank).Any(d => d != axis && p.Dims[d] != parts[0].Dims[d])))
        {
            throw node.Error("the constant inputs do not match outside the axis (or mix floats and integers).");
        }
        long[] dims = [.. parts[0].Dims];
        dims[axis] = parts.Sum(p => p.Dims[axis]);
        CheckCount(node, dims);
        long outer = OnnxShapes.Product(dims, 0, axis);
        var f = new List<float>();
        var v = new List<long>();
        for (long a = 0; a < outer; a++)
        {
            foreach (var p in parts)
            {
                long chunk = OnnxShapes.Product(p.Dims, axis);
                if (p.IsFloat)
                {
                    f.AddRange(p.Floats.Slice((int)(a * chunk), (int)chunk).ToArray());
                }
                else
                {
                    v.AddRange(p.Integers.Slice((int)(a * chunk), (int)chunk).ToArray());
                }
            }
        }
        return parts[0].IsFloat ? OnnxTensor.FromFloats(node.Outputs[0], dims, [.. f])
            : OnnxTensor.FromIntegers(node.Outputs[0], dims, [.. v], parts[0].DataType);
    }

    private static OnnxTensor Slice(OnnxNode node, OnnxTensor x, OnnxTensor?[] inputs)
    {
        int rank = x.Dims.Count;
        long[] starts, ends;
        long[]? axes, steps = null;
        if (node.Opset < 10)
        {
            starts = node.GetInts("starts") ?? throw node.Error("starts are required.");
            ends = node.GetInts("ends") ?? throw node.Error("ends are required.");
            axes = node.GetInts("axes");
        }
        else
        {
            starts = Ints(node, Required(node, inputs, 1));
            ends = Ints(node, Required(node, inputs, 2));
            axes = inputs.Length > 3 && inputs[3] is { } a ? Ints(node, a) : null;
            steps = inputs.Length > 4 && inputs[4] is { } s ? Ints(node, s) : null;
        }
        axes ??= [.. Enumerable.Range(0, starts.Length).Select(i => (long)i)];
        if (ends.Length != starts.Length || axes.Length != starts.Length || (steps is not null && steps.Length != starts.Length))
        {
            throw node.Error("starts, ends, axes and steps differ in length.");
        }
        var begin = new long[rank];
        var step = Enumerable.Repeat(1L, rank).ToArray();
        long[] dims = [.. x.Dims];
        for (int i = 0; i < starts.Length; i++)
        {
            int ax = OnnxShapes.Axis(node, axes[i], rank);
            long d = x.Dims[ax], st = steps?[i] ?? 1;
            if (st == 0)
            {
                throw node.Error("a slice step is 0.");
            }
            long b = starts[i] < 0 ? starts[i] + d : starts[i];
            long e = ends[i] < 0 ? ends[i] + d : ends[i];
            if (st > 0)
            {
                b = Math.Clamp(b, 0, d);
                e = Math.Clamp(e, 0, d);
                dims[ax] = Math.Max(0, (e - b + st - 1) / st);
            }
            else
            {
                b = Math.Clamp(b, 0, d - 1);
                e = Math.Clamp(e, -1, d - 1);
                dims[ax] = Math.Max(0, (b - e + (-st) - 1) / -st);
            }
            begin[ax] = b;
            step[ax] = st;
        }
        CheckCount(node, dims);
        long count = OnnxShapes.Product(dims);
        var sources = new long[count];
        var index = new long[rank];
        for (long o = 0; o < count; o++)
        {
            long rest = o, source = 0;
            for (int d = rank - 1; d >= 0; d--)
            {
                index[d] = rest % dims[d];
                rest /= dims[d];
            }
            for (int d = 0; d < rank; d++)
            {
                source = (source * x.Dims[d]) + begin[d] + (index[d] * step[d]);
            }
            sources[o] = source;
        }
        return Pick(x, dims, sources);
    }

    private static OnnxTensor ConstantOfShape(OnnxNode node, OnnxTensor shape)
    {
        long[] dims = Ints(node, shape);
        RefuseBatchMarker(node, shape);
        CheckCount(node, dims);
        var value = node.GetTensor("value");
        long count = OnnxShapes.Product(dims);
        if (value is null || value.IsFloat)
        {
            float v = value is null ? 0f : value.Floats[0];
            return OnnxTensor.FromFloats(node.Outputs[0], dims, Enumerable.Repeat(v, (int)count).ToArray());
        }
        return OnnxTensor.FromIntegers(node.Outputs[0], dims, Enumerable.Repeat(value.Integers[0], (int)count).ToArray(), value.DataType);
    }

    private static OnnxTensor Arithmetic(OnnxNode node, OnnxTensor?[] inputs)
    {
        var parts = inputs.Where(t => t is not null).Select(t => t!).ToArray();
        foreach (var p in parts)
        {
            RefuseBatchMarker(node, p);
        }
        if (node.OpType == "Neg")
        {
            var x = parts[0];
            return x.IsFloat ? OnnxTensor.FromFloats(x.Name, [.. x.Dims], [.. x.Floats.ToArray().Select(v => -v)])
                : OnnxTensor.FromIntegers(x.Name, [.. x.Dims], [.. x.Integers.ToArray().Select(v => -v)], x.DataType);
        }
        if (node.OpType is "Add" or "Sub" or "Mul" or "Div" && parts.Length != 2)
        {
            throw node.Error($"{node.OpType} takes two inputs.");
        }
        var acc = parts[0];
        for (int i = 1; i < parts.Length; i++)
        {
            acc = Binary(node, acc, parts[i]);
        }
        return acc;
    }

    private static OnnxTensor Binary(OnnxNode node, OnnxTensor a, OnnxTensor b)
    {
        if (a.IsFloat != b.IsFloat)
        {
            throw node.Error($"'{a.Name}' and '{b.Name}' differ in element type.");
        }
        long[] dims = OnnxShapes.Broadcast(node, a.Dims, b.Dims);
        CheckCount(node, dims);
        long count = OnnxShapes.Product(dims);
        var ia = BroadcastIndex(a.Dims, dims);
        var ib = BroadcastIndex(b.Dims, dims);
        if (a.IsFloat)
        {
            var fa = a.Floats;
            var fb = b.Floats;
            var r = new float[count];
            for (long i = 0; i < count; i++)
            {
                float x = fa[(int)ia(i)], y = fb[(int)ib(i)];
                r[i] = node.OpType switch
                {
                    "Add" or "Sum" => x + y,
                    "Sub" => x - y,
                    "Mul" => x * y,
                    "Div" => x / y,
                    "Max" => Math.Max(x, y),
                    _ => Math.Min(x, y),
                };
            }
            return OnnxTensor.FromFloats(node.Outputs[0], dims, r);
        }
        var va = a.Integers;
        var vb = b.Integers;
        var v = new long[count];
        for (long i = 0; i < count; i++)
        {
            long x = va[(int)ia(i)], y = vb[(int)ib(i)];
            v[i] = node.OpType switch
            {
                "Add" or "Sum" => unchecked(x + y),
                "Sub" => unchecked(x - y),
                "Mul" => unchecked(x * y),
                "Div" => y == 0 ? throw node.Error("integer division by zero.") : x / y,
                "Max" => Math.Max(x, y),
                _ => Math.Min(x, y),
            };
        }
        return OnnxTensor.FromIntegers(node.Outputs[0], dims, v, a.DataType);
    }

    /// <summary>Maps a flat index of the broadcast shape to the flat index of an operand.</summary>
    private static Func<long, long> BroadcastIndex(IReadOnlyList<long> operand, long[] result)
    {
        int rank = result.Length, offset = rank - operand.Count;
        return i =>
        {
            long source = 0, stride = 1;
            for (int d = rank - 1; d >= 0; d--)
            {
                long coordinate = i % result[d];
                i /= result[d];
                int od = d - offset;
                if (od >= 0)
                {
                    long size = operand[od];
                    source += (size == 1 ? 0 : coordinate) * stride;
                    stride *= size;
                }
            }
            return source;
        };
    }
}
