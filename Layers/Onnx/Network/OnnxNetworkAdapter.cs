using System.Globalization;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Onnx;

/// <summary>
/// Turns an <see cref="ImportedNetwork"/> into a <see cref="NetworkDefinition"/>, one spec at a time. Shapes: an ONNX
/// tensor [N, d1, d2, d3] becomes the per-item dims (d1, d2, d3), lower ranks are padded with trailing 1s (C-order
/// flat indices do not change), higher ranks only when the extra dimensions are 1. Every layer is named after its
/// ONNX output tensor, so tensor names (and calibration tables, QDQ ranges) carry over. What the engine's layers
/// cannot express is an <see cref="OnnxImportException"/> naming the operator, the node and the opset:
/// element-wise broadcasting between two run-time tensors of different shapes (constants are expanded), softmax and
/// concatenation above rank 4 along an axis with non-unit dimensions between the batch and it, padding of the batch or
/// channel dimension, 1-D or 3-D convolutions, pooling pads as large as the window.
/// </summary>
internal sealed partial class OnnxNetworkAdapter
{
    private readonly ImportedNetwork _imported;
    private readonly NetworkDefinition _net;
    private readonly List<string> _notes;
    private readonly Dictionary<int, Tensor> _tensors = [];
    private readonly Dictionary<int, ConstantSpec> _constants = [];
    private ImportedLayer _layer = null!;

    private OnnxNetworkAdapter(ImportedNetwork imported, string name, List<string> notes)
    {
        _imported = imported;
        _net = new NetworkDefinition(name);
        _notes = notes;
    }

    /// <summary>Builds the network; adapter notes are appended to <paramref name="notes"/>.</summary>
    public static NetworkDefinition Build(ImportedNetwork imported, string name, List<string> notes)
    {
        var adapter = new OnnxNetworkAdapter(imported, name, notes);
        adapter.Run();
        return adapter._net;
    }

    private void Run()
    {
        foreach (var input in _imported.Inputs)
        {
            _tensors[input.Id] = _net.AddInput(input.Name, ItemDims(input.Shape, $"graph input '{input.Name}'"));
        }

        foreach (var layer in _imported.Layers)
        {
            _layer = layer;
            try
            {
                Map(layer);
            }
            catch (NetworkException ex)
            {
                throw Unsupported($"the engine's layers cannot express it: {ex.Message}", ex);
            }
        }

        foreach (var output in _imported.Outputs)
        {
            if (!_tensors.TryGetValue(output.Id, out var t))
            {
                throw OnnxImportException.Malformed($"graph output '{output.Name}'", "the output is a constant; the engine computes only run-time tensors.");
            }

            _net.MarkOutput(t);
        }

        foreach (var (tensorName, threshold) in _imported.DynamicRanges)
        {
            if (_net.FindTensor(tensorName) is { } t)
            {
                t.SetDynamicRange(-threshold, threshold);
            }
            else
            {
                _notes.Add($"QDQ range of tensor '{tensorName}' (T = {threshold.ToString(CultureInfo.InvariantCulture)}) not applied: no run-time tensor of that name in the network.");
            }
        }

        _net.Validate();
    }

    private void Map(ImportedLayer layer)
    {
        if (layer.Spec.AddTo(this, layer.Output.Name) is { } added)
        {
            Define(added);
        }
    }

    /// <summary>The network being built.</summary>
    internal NetworkDefinition Network => _net;

    /// <summary>The current layer's inputs, each as a run-time tensor (<see cref="In"/>).</summary>
    internal IReadOnlyList<Tensor> Inputs() => [.. _layer.Inputs.Select((_, i) => In(i))];

    /// <summary>The current layer's output as per-item dims.</summary>
    internal TensorDims OutputDims => ItemDims(_layer.Output.Shape);

    /// <summary>Keeps a constant's value; it is materialized where it is read, in the shape its reader needs.</summary>
    internal void DeferConstant(ConstantSpec c) => _constants[_layer.Output.Id] = c;

    /// <summary>Records the layer computing the current spec's output, after checking it has the imported shape.</summary>
    private void Define(Layer layer)
    {
        var expected = ItemDims(_layer.Output.Shape);
        if (layer.Output.Dims != expected)
        {
            throw Unsupported($"the engine's {layer.Type} layer gives {layer.Output.Dims} where ONNX gives {expected} ({_layer.Output})");
        }

        _tensors[_layer.Output.Id] = layer.Output;
    }

    /// <summary>Run-time input <paramref name="index"/> of the current layer (a constant there is materialized as is).</summary>
    internal Tensor In(int index)
    {
        var t = _layer.Inputs[index];
        if (_tensors.TryGetValue(t.Id, out var tensor))
        {
            return tensor;
        }

        if (_constants.TryGetValue(t.Id, out var c))
        {
            long[] shape = c.Value.Dims.Count > 0 && c.Value.Dims[0] == 1 ? [.. c.Value.Dims] : [1, .. c.Value.Dims];
            return Constant(t, c, shape);
        }

        throw Unsupported($"input '{t.Name}' is not produced before it is read");
    }

    /// <summary>A constant layer holding <paramref name="c"/> broadcast (numpy rules) to the batched <paramref name="target"/> shape.</summary>
    private Tensor Constant(ImportedTensor t, ConstantSpec c, IReadOnlyList<long> target)
    {
        var dims = c.Value.Dims;
        int rank = target.Count;
        if (dims.Count > rank)
        {
            throw Unsupported($"constant '{t.Name}' of rank {dims.Count} is wider than its reader's rank {rank}");
        }

        var cd = new long[rank];
        for (int i = 0; i < rank; i++)
        {
            int j = i - (rank - dims.Count);
            cd[i] = j >= 0 ? dims[j] : 1;
            if ((i == 0 && cd[i] != 1) || (i > 0 && cd[i] != 1 && cd[i] != target[i]))
            {
                throw Unsupported($"constant '{t.Name}' [{string.Join(", ", dims)}] does not broadcast to [{string.Join(", ", target.Skip(1).Prepend(-1))}] without varying along the batch");
            }
        }

        var values = c.Value.ToFloatArray();
        var item = ItemDims([.. target]);
        var tiled = new float[item.Volume];
        var index = new long[rank];
        for (long e = 0; e < tiled.LongLength; e++)
        {
            // Element e of one item of the target: its index, then the constant element it reads (size-1 dims repeat).
            long rest = e;
            for (int d = rank - 1; d >= 1; d--)
            {
                index[d] = rest % target[d];
                rest /= target[d];
            }

            long source = 0;
            for (int d = 1; d < rank; d++)
            {
                source = (source * cd[d]) + (cd[d] == 1 ? 0 : index[d]);
            }

            tiled[e] = values[source];
        }

        string name = $"{t.Name}@{_layer.Output.Name}";
        return _net.AddConstant(item, tiled, Unique(name)).Output;
    }

    internal Layer ElementWise(ElementWiseSpec e, string name)
    {
        if (ChannelMultiply(e, name) is { } scaled)
        {
            return scaled;
        }

        var shape = _layer.Output.Shape;
        var operands = new Tensor[2];
        bool[] constant = new bool[2];
        for (int i = 0; i < 2; i++)
        {
            var t = _layer.Inputs[i];
            if (_constants.TryGetValue(t.Id, out var c))
            {
                operands[i] = Constant(t, c, shape);
                constant[i] = true;
            }
            else
            {
                if (!t.Shape.Skip(1).SequenceEqual(shape.Skip(1)) || t.Shape.Count != shape.Count)
                {
                    throw Unsupported($"broadcasting the run-time tensor '{t.Name}' {t} to {_layer.Output}: the engine's element-wise layer needs two tensors of one shape (only constants are expanded)");
                }

                operands[i] = In(i);
            }
        }

        if (constant[0] && constant[1])
        {
            throw Unsupported("both operands are constants");
        }

        // The operations are commutative; a constant goes second, where the engine expects it.
        if (constant[0])
        {
            (operands[0], operands[1]) = (operands[1], operands[0]);
        }

        var op = e.Operation switch
        {
            OnnxElementWise.Sum => ElementWiseOperation.Sum,
            OnnxElementWise.Product => ElementWiseOperation.Product,
            OnnxElementWise.Max => ElementWiseOperation.Max,
            _ => throw Unsupported($"element-wise operation {e.Operation}"),
        };
        return _net.AddElementWise(operands[0], operands[1], op, name);
    }

    /// <summary>
    /// Per-item dims of a batched ONNX shape: [N, C, H, W] → (C, H, W); [N, C, L] → (C, 1, L) (the importer's 1-D
    /// convolutions and pools run along W); [N, C] → (C, 1, 1); rank 5 and up when dropping unit dimensions brings it to 4.
    /// </summary>
    private TensorDims ItemDims(IReadOnlyList<long> shape, string? what = null)
    {
        var item = shape.Skip(1).ToList();
        for (int i = item.Count - 1; i >= 0 && item.Count > 3; i--)
        {
            if (item[i] == 1)
            {
                item.RemoveAt(i);
            }
        }

        // Above rank 4 the leading item dimensions merge into C: the same elements in the same C order (reshapes,
        // element-wise layers and the channel shuffle's [N, g, C/g, H, W] read them so; axis-bound layers check rank).
        while (item.Count > 3 && item[0] * item[1] <= int.MaxValue)
        {
            item[1] *= item[0];
            item.RemoveAt(0);
        }

        if (shape.Count == 0 || item.Count > 3)
        {
            throw Fail($"shape [{string.Join(", ", shape)}] has rank {shape.Count}; the engine's tensors are [N, C, H, W] (rank 1 to 4, or higher with unit dimensions)", what);
        }

        foreach (long v in item)
        {
            if (v is <= 0 or > int.MaxValue)
            {
                throw Fail($"dimension {v} of [{string.Join(", ", shape)}] is out of range", what);
            }
        }

        return item.Count switch
        {
            0 => new TensorDims(1, 1, 1),
            1 => new TensorDims((int)item[0], 1, 1),
            2 => new TensorDims((int)item[0], 1, (int)item[1]),
            _ => new TensorDims((int)item[0], (int)item[1], (int)item[2]),
        };
    }

    private OnnxImportException Fail(string message, string? what) =>
        what is null ? Unsupported(message) : OnnxImportException.Malformed(what, message + ".");

    private string Unique(string name)
    {
        var candidate = name;
        for (int i = 1; _net.FindTensor(candidate) is not null || _net.FindLayer(candidate) is not null; i++)
        {
            candidate = $"{name}_{i}";
        }

        return candidate;
    }

    internal OnnxImportException Unsupported(string message, Exception? inner = null) =>
        new($"not supported by the engine: {message}.", null, _layer.OpType.Length > 0 ? _layer.OpType : _layer.Spec.Kind, _layer.SourceNode, _layer.Opset, inner);
}
