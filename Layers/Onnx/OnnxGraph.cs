using System.Globalization;
using ILGPUInt8.Layers.Onnx.Proto;

namespace ILGPUInt8.Layers.Onnx;

/// <summary>
/// An ONNX graph, checked: every tensor defined once, every node input defined (graph input,
/// initializer or an earlier node's output), no cycles; nodes in topological order.
/// </summary>
public sealed class OnnxGraph
{
    private readonly Dictionary<string, OnnxNode> _producers;
    private readonly Dictionary<string, List<OnnxNode>> _consumers;

    /// <summary>Builds and checks a graph; throws <see cref="OnnxImportException"/> when it is not well formed.</summary>
    /// <param name="name">Graph name.</param>
    /// <param name="nodes">Nodes in any order.</param>
    /// <param name="inputs">Declared graph inputs; those that are also initializers are dropped from <see cref="Inputs"/>.</param>
    /// <param name="outputs">Declared graph outputs.</param>
    /// <param name="initializers">Constant tensors.</param>
    /// <param name="valueInfo">Shape hints for intermediate tensors.</param>
    public OnnxGraph(string name, IReadOnlyList<OnnxNode> nodes, IReadOnlyList<OnnxValueInfo> inputs,
        IReadOnlyList<OnnxValueInfo> outputs, IReadOnlyList<OnnxTensor> initializers, IReadOnlyList<OnnxValueInfo> valueInfo)
    {
        Name = name;
        var init = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        for (int i = 0; i < initializers.Count; i++)
        {
            var t = initializers[i];
            string where = $"graph.initializer[{i.ToString(CultureInfo.InvariantCulture)}]";
            if (t.Name.Length == 0)
            {
                throw OnnxImportException.Malformed(where, "an initializer has no name.");
            }
            if (!init.TryAdd(t.Name, t))
            {
                throw OnnxImportException.Malformed(where, $"initializer '{t.Name}' is defined twice.");
            }
        }
        Initializers = init;

        var defined = new HashSet<string>(init.Keys, StringComparer.Ordinal);
        var realInputs = new List<OnnxValueInfo>();
        for (int i = 0; i < inputs.Count; i++)
        {
            var v = inputs[i];
            string where = $"graph.input[{i.ToString(CultureInfo.InvariantCulture)}]";
            if (v.Name.Length == 0)
            {
                throw OnnxImportException.Malformed(where, "a graph input has no name.");
            }
            if (init.ContainsKey(v.Name))
            {
                continue; // An initializer listed as input (IR < 4 style): a constant with a default.
            }
            if (!defined.Add(v.Name))
            {
                throw OnnxImportException.Malformed(where, $"graph input '{v.Name}' is declared twice.");
            }
            realInputs.Add(v);
        }
        Inputs = realInputs;

        _producers = new(StringComparer.Ordinal);
        foreach (var n in nodes)
        {
            foreach (string o in n.Outputs)
            {
                if (o.Length == 0)
                {
                    continue;
                }
                if (defined.Contains(o) || !_producers.TryAdd(o, n))
                {
                    throw n.Error($"output '{o}' is already defined elsewhere (a tensor may be defined once).");
                }
            }
        }

        _consumers = new(StringComparer.Ordinal);
        foreach (var n in nodes)
        {
            foreach (string i in n.Inputs)
            {
                if (i.Length == 0)
                {
                    continue;
                }
                if (!defined.Contains(i) && !_producers.ContainsKey(i))
                {
                    throw n.Error($"input '{i}' is not a graph input, an initializer or any node's output (a missing initializer?).");
                }
                if (!_consumers.TryGetValue(i, out var list))
                {
                    _consumers[i] = list = [];
                }
                list.Add(n);
            }
        }
        Nodes = TopologicalOrder(nodes);

        for (int i = 0; i < outputs.Count; i++)
        {
            string o = outputs[i].Name;
            if (!defined.Contains(o) && !_producers.ContainsKey(o))
            {
                throw OnnxImportException.Malformed($"graph.output[{i.ToString(CultureInfo.InvariantCulture)}]",
                    $"graph output '{o}' is not produced by any node.");
            }
        }
        Outputs = outputs;
        var hints = new Dictionary<string, OnnxValueInfo>(StringComparer.Ordinal);
        foreach (var v in valueInfo.Concat(inputs).Concat(outputs))
        {
            hints[v.Name] = v;
        }
        ValueInfo = hints;
    }

    /// <summary>Graph name.</summary>
    public string Name { get; }

    /// <summary>Nodes in a topological order (the file's order where it already is one).</summary>
    public IReadOnlyList<OnnxNode> Nodes { get; }

    /// <summary>Graph inputs fed at run time (initializers listed as inputs are excluded).</summary>
    public IReadOnlyList<OnnxValueInfo> Inputs { get; }

    /// <summary>Graph outputs.</summary>
    public IReadOnlyList<OnnxValueInfo> Outputs { get; }

    /// <summary>Constant tensors by name.</summary>
    public IReadOnlyDictionary<string, OnnxTensor> Initializers { get; }

    /// <summary>Declared types and shapes by tensor name (value_info, inputs, outputs): hints only.</summary>
    public IReadOnlyDictionary<string, OnnxValueInfo> ValueInfo { get; }

    /// <summary>The node producing a tensor, or null for graph inputs and initializers.</summary>
    public OnnxNode? Producer(string tensor) => _producers.GetValueOrDefault(tensor);

    /// <summary>The nodes reading a tensor (each once per input slot that names it).</summary>
    public IReadOnlyList<OnnxNode> Consumers(string tensor) =>
        _consumers.TryGetValue(tensor, out var list) ? list : [];

    /// <summary>True when a tensor is a graph output.</summary>
    public bool IsGraphOutput(string tensor) => Outputs.Any(o => o.Name == tensor);

    internal static OnnxGraph Decode(GraphProto g, IReadOnlyDictionary<string, long> opsets, OnnxReadOptions options)
    {
        if (g.Node.Count > options.MaxNodes)
        {
            throw OnnxImportException.Malformed("graph.node", $"the graph has {g.Node.Count} nodes, more than the cap of {options.MaxNodes}.");
        }
        if (g.SparseInitializer.Count > 0)
        {
            throw OnnxImportException.Malformed("graph.sparse_initializer", "sparse initializers are not supported.");
        }
        var initializers = new List<OnnxTensor>(g.Initializer.Count);
        for (int i = 0; i < g.Initializer.Count; i++)
        {
            initializers.Add(OnnxTensor.Decode(g.Initializer[i],
                $"graph.initializer[{i.ToString(CultureInfo.InvariantCulture)}]", options.MaxTensorElements));
        }
        var nodes = new List<OnnxNode>(g.Node.Count);
        for (int i = 0; i < g.Node.Count; i++)
        {
            var n = g.Node[i];
            string where = $"graph.node[{i.ToString(CultureInfo.InvariantCulture)}]";
            if (string.IsNullOrEmpty(n.OpType))
            {
                throw OnnxImportException.Malformed(where, $"node '{n.Name}' has no op_type.");
            }
            string domain = n.Domain ?? "";
            string key = domain == "ai.onnx" ? "" : domain;
            long opset = opsets.GetValueOrDefault(key, 0);
            var attributes = new List<OnnxAttribute>(n.Attribute.Count);
            for (int a = 0; a < n.Attribute.Count; a++)
            {
                attributes.Add(OnnxAttribute.Decode(n.Attribute[a], $"{where}.attribute[{a.ToString(CultureInfo.InvariantCulture)}]",
                    options.MaxTensorElements));
            }
            nodes.Add(new OnnxNode(i, n.Name ?? "", n.OpType, domain, opset, [.. n.Input], [.. n.Output], attributes));
        }
        return new OnnxGraph(g.Name ?? "", nodes, [.. g.Input.Select(OnnxValueInfo.Decode)],
            [.. g.Output.Select(OnnxValueInfo.Decode)], initializers, [.. g.ValueInfo.Select(OnnxValueInfo.Decode)]);
    }

    // Kahn's algorithm, taking nodes in file order whenever several are ready (a file already in
    // topological order keeps its order). A node left over sits on a cycle (or behind one).
    private OnnxNode[] TopologicalOrder(IReadOnlyList<OnnxNode> nodes)
    {
        var pending = new int[nodes.Count];
        var position = new Dictionary<OnnxNode, int>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < nodes.Count; i++)
        {
            position[nodes[i]] = i;
            pending[i] = nodes[i].Inputs.Count(x => x.Length > 0 && _producers.ContainsKey(x));
        }
        var ready = new PriorityQueue<int, int>();
        for (int i = 0; i < nodes.Count; i++)
        {
            if (pending[i] == 0)
            {
                ready.Enqueue(i, i);
            }
        }
        var order = new List<OnnxNode>(nodes.Count);
        while (ready.TryDequeue(out int i, out _))
        {
            var n = nodes[i];
            order.Add(n);
            foreach (string o in n.Outputs)
            {
                if (o.Length == 0 || !_consumers.TryGetValue(o, out var readers))
                {
                    continue;
                }
                foreach (var r in readers)
                {
                    int j = position[r];
                    if (--pending[j] == 0)
                    {
                        ready.Enqueue(j, j);
                    }
                }
            }
        }
        if (order.Count != nodes.Count)
        {
            var stuck = nodes.First(n => pending[position[n]] > 0);
            throw stuck.Error($"the graph has a cycle through or before this node ({nodes.Count - order.Count} nodes unreachable).");
        }
        return [.. order];
    }
}
