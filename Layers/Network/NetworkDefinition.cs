using ILGPUInt8.Kernels.Ops;

namespace ILGPUInt8.Layers.Network;

/// <summary>
/// A network graph in the TensorRT spirit: inputs, layers added with <c>Add…</c> methods (each returns the layer; its
/// <see cref="Layer.Output"/> feeds the next), named tensors, marked outputs. A DAG; <see cref="Sequential"/> is the
/// chain convenience. Shapes are inferred when a layer is added (errors name the layer) and again by
/// <see cref="Validate"/>, which also finds cycles and dangling inputs. Knows nothing about devices.
/// Activations are per item (C, H, W); the batch is chosen at execution.
/// </summary>
public sealed partial class NetworkDefinition
{
    private readonly List<Tensor> _inputs = [];
    private readonly List<Layer> _layers = [];
    private readonly List<Tensor> _outputs = [];
    private readonly HashSet<string> _tensorNames = new(StringComparer.Ordinal);

    /// <summary>Creates an empty network.</summary>
    public NetworkDefinition(string name = "network")
    {
        Name = name;
    }

    /// <summary>The network's name.</summary>
    public string Name { get; }

    /// <summary>Network inputs in order.</summary>
    public IReadOnlyList<Tensor> Inputs => _inputs;

    /// <summary>Layers in the order they were added.</summary>
    public IReadOnlyList<Layer> Layers => _layers;

    /// <summary>Marked outputs in order.</summary>
    public IReadOnlyList<Tensor> Outputs => _outputs;

    /// <summary>Adds a network input of per-item dimensions <paramref name="dims"/>.</summary>
    public Tensor AddInput(string name, TensorDims dims)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!dims.IsValid)
        {
            throw new NetworkException($"Input '{name}': dimensions {dims} must be positive.");
        }

        CheckTensorName(name);
        var t = new Tensor(this, name, dims, null);
        _tensorNames.Add(name);
        _inputs.Add(t);
        return t;
    }

    /// <summary>Marks a tensor as a network output (its values are returned by an execution).</summary>
    public void MarkOutput(Tensor tensor)
    {
        CheckOwned(tensor, nameof(tensor));
        if (!_outputs.Contains(tensor))
        {
            _outputs.Add(tensor);
        }
    }

    /// <summary>A tensor by name, or null.</summary>
    public Tensor? FindTensor(string name) =>
        _inputs.FirstOrDefault(t => t.Name == name) ?? _layers.Select(l => l.Output).FirstOrDefault(t => t.Name == name);

    /// <summary>A layer by name, or null.</summary>
    public Layer? FindLayer(string name) => _layers.FirstOrDefault(l => l.Name == name);

    /// <summary>Starts a chain of layers at <paramref name="input"/>.</summary>
    public SequentialBuilder Sequential(Tensor input) => new(this, input);

    /// <summary>
    /// Checks the whole graph and returns the layers in a topological order: every input belongs to this network and is
    /// produced by a layer of it or is a network input, no cycles, shapes inferred again (after <see cref="Layer.SetInput"/>),
    /// at least one output, and every network input used.
    /// </summary>
    public IReadOnlyList<Layer> Validate()
    {
        if (_outputs.Count == 0)
        {
            throw new NetworkException($"Network '{Name}' has no outputs: call MarkOutput.");
        }

        var owned = new HashSet<Layer>(_layers);
        foreach (var layer in _layers)
        {
            foreach (var t in layer.Inputs)
            {
                if (t.Network != this || (t.Producer is not null && !owned.Contains(t.Producer)) || (t.Producer is null && !_inputs.Contains(t)))
                {
                    throw new NetworkException(layer.Name, $"input '{t.Name}' is dangling: it is neither a network input nor the output of a layer of network '{Name}'.");
                }
            }
        }

        // Depth-first topological sort; a grey node met again is a cycle.
        var order = new List<Layer>();
        var state = new Dictionary<Layer, int>();
        foreach (var layer in _layers)
        {
            Visit(layer, state, order, []);
        }

        foreach (var layer in order)
        {
            layer.Output.Dims = layer.InferOutput([.. layer.Inputs.Select(t => t.Dims)]);
        }

        var used = new HashSet<Tensor>(_layers.SelectMany(l => l.Inputs));
        foreach (var input in _inputs)
        {
            if (!used.Contains(input) && !_outputs.Contains(input))
            {
                throw new NetworkException($"Network input '{input.Name}' is not used by any layer.");
            }
        }

        return order;
    }

    /// <summary>Throws unless <paramref name="name"/> is a new, non-empty tensor name.</summary>
    internal void CheckTensorName(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (_tensorNames.Contains(name))
        {
            throw new NetworkException($"A tensor named '{name}' already exists in network '{Name}'.");
        }
    }

    /// <summary>Adds a layer: checks its inputs, infers its output (errors name the layer), creates the output tensor.</summary>
    private T Add<T>(T layer)
        where T : Layer
    {
        if (_layers.Exists(l => l.Name == layer.Name))
        {
            throw new NetworkException(layer.Name, "a layer of that name already exists.");
        }

        foreach (var t in layer.Inputs)
        {
            CheckOwned(t, "input");
        }

        var dims = layer.InferOutput([.. layer.Inputs.Select(t => t.Dims)]);
        var outputName = layer.Name;
        for (var i = 1; _tensorNames.Contains(outputName); i++)
        {
            outputName = $"{layer.Name}_{i}";
        }

        layer.Output = new Tensor(this, outputName, dims, layer);
        _tensorNames.Add(outputName);
        _layers.Add(layer);
        return layer;
    }

    /// <summary>A new layer name: the given one or "type_index".</summary>
    private string LayerName(string? name, LayerType type)
    {
        if (name is not null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(name);
            return name;
        }

        var candidate = $"{type.ToString().ToLowerInvariant()}_{_layers.Count}";
        for (var i = 1; _layers.Exists(l => l.Name == candidate); i++)
        {
            candidate = $"{type.ToString().ToLowerInvariant()}_{_layers.Count}_{i}";
        }

        return candidate;
    }

    private void CheckOwned(Tensor tensor, string argument)
    {
        ArgumentNullException.ThrowIfNull(tensor, argument);
        if (tensor.Network != this)
        {
            throw new NetworkException($"Tensor '{tensor.Name}' belongs to network '{tensor.Network.Name}', not '{Name}'.");
        }
    }

    private void Visit(Layer layer, Dictionary<Layer, int> state, List<Layer> order, List<Layer> path)
    {
        state.TryGetValue(layer, out var s);
        if (s == 2)
        {
            return;
        }

        if (s == 1)
        {
            var cycle = path.SkipWhile(l => l != layer).Select(l => l.Name).Append(layer.Name);
            throw new NetworkException(layer.Name, $"the graph has a cycle: {string.Join(" → ", cycle)}.");
        }

        state[layer] = 1;
        path.Add(layer);
        foreach (var t in layer.Inputs)
        {
            if (t.Producer is { } producer)
            {
                Visit(producer, state, order, path);
            }
        }

        path.RemoveAt(path.Count - 1);
        state[layer] = 2;
        order.Add(layer);
    }

    /// <summary>Copies a caller's array (null stays null) so later changes to it do not alter the network.</summary>
    private static float[]? Copy(float[]? values) => values is null ? null : (float[])values.Clone();

    private static ActivationSpec Spec(ActivationKind kind, float alpha, float beta) => new(kind, alpha, beta);
}
