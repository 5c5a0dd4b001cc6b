using System.Collections.Frozen;

namespace ILGPUInt8.Layers.Onnx;

/// <summary>
/// Maps an <see cref="OnnxModel"/> onto layers: graph inputs (batch dynamic unless fixed), one mapper per
/// operator family, constant folding of shape arithmetic (Shape/Gather/Unsqueeze/Concat → Reshape), QDQ
/// pairs turned into ranges and int8 weights. Every refusal is an <see cref="OnnxImportException"/> naming
/// the operator, the node and the opset.
/// </summary>
public static class OnnxImporter
{
    /// <summary>The lowest default-domain opset whose semantics the importer implements (see <see cref="EarliestOpset"/>).</summary>
    public const long MinOpset = 7;

    /// <summary>The highest default-domain opset whose semantics the importer implements.</summary>
    public const long MaxOpset = 21;

    // Every mapper of this assembly (each operator folder under Layers/Operators/ holds its own), found by reflection.
    private static readonly IOnnxOpMapper[] Mappers =
    [
        .. typeof(IOnnxOpMapper).Assembly.GetTypes()
            .Where(t => typeof(IOnnxOpMapper).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Select(t => (IOnnxOpMapper)Activator.CreateInstance(t, nonPublic: true)!),
    ];

    private static readonly FrozenDictionary<string, IOnnxOpMapper> ByOp =
        Mappers.SelectMany(m => m.OpTypes.Select(op => (op, m))).ToFrozenDictionary(p => p.op, p => p.m, StringComparer.Ordinal);

    /// <summary>The operators the importer maps onto layers (shape-arithmetic operators it only folds are not listed).</summary>
    public static IReadOnlyCollection<string> SupportedOperators => ByOp.Keys;

    /// <summary>Operators evaluated at import time when all their inputs are constants.</summary>
    public static IReadOnlyCollection<string> FoldedOperators => ConstantFolder.Operators;

    /// <summary>Reads and maps a model file.</summary>
    /// <param name="path">The .onnx file.</param>
    /// <param name="options">Import options; defaults when null.</param>
    public static ImportedNetwork Import(string path, OnnxImportOptions? options = null) => Import(OnnxModel.Load(path), options);

    /// <summary>Maps a parsed model.</summary>
    /// <param name="model">The model.</param>
    /// <param name="options">Import options; defaults when null.</param>
    public static ImportedNetwork Import(OnnxModel model, OnnxImportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= OnnxImportOptions.Default;
        if (options.BatchSize is <= 0)
        {
            throw new ArgumentException($"BatchSize {options.BatchSize} must be positive.", nameof(options));
        }
        var graph = model.Graph;
        var network = new ImportedNetwork { Opset = model.Opset };
        var context = new OnnxMapContext(graph, options, network);

        foreach (var (name, tensor) in graph.Initializers)
        {
            context.Define(name, new ConstantValue(tensor));
        }
        foreach (var input in graph.Inputs)
        {
            if (options.ConstantInputs?.TryGetValue(input.Name, out var constant) == true)
            {
                context.Define(input.Name, new ConstantValue(constant.WithShape(input.Name, constant.Dims)));
                continue;
            }
            var tensor = network.NewTensor(input.Name, InputShape(input, context));
            network.AddInput(tensor);
            context.Define(input.Name, new RuntimeValue(tensor));
        }

        foreach (var node in graph.Nodes)
        {
            if (context.IsHandled(node))
            {
                continue;
            }
            CheckDomainAndOpset(node);
            if (ConstantFolder.TryFold(node, context))
            {
                continue;
            }
            if (!ByOp.TryGetValue(node.OpType, out var mapper))
            {
                throw node.Unsupported($"operator {node.OpType} is not mapped onto layers");
            }
            mapper.Map(node, context);
        }

        foreach (var output in graph.Outputs)
        {
            network.AddOutput(OutputTensor(output.Name, context));
        }
        return options.UnitBatch ? network.WithUnitBatch() : network;
    }

    /// <summary>
    /// The input slots of <paramref name="node"/> that the importer needs as constants (weights, biases,
    /// shapes, bounds); a harness that feeds such inputs at run time (the ONNX node tests) passes them
    /// through <see cref="OnnxImportOptions.ConstantInputs"/>. Empty for unmapped operators.
    /// </summary>
    public static IReadOnlyList<int> ConstantInputs(OnnxNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return ByOp.TryGetValue(node.OpType, out var m) ? m.ConstantInputs(node) : [];
    }

    /// <summary>
    /// Operators whose definition, as mapped, holds from an opset before <see cref="MinOpset"/> (their latest
    /// change is that old); every other operator needs opset 7 or later (legacy broadcasting, consumed_inputs).
    /// </summary>
    private static readonly FrozenDictionary<string, long> EarliestOpsets = new Dictionary<string, long>
    {
        ["GlobalAveragePool"] = 1,
        ["GlobalMaxPool"] = 1,
        ["LRN"] = 1,
        ["Identity"] = 1,
        ["Flatten"] = 1,
        ["Softmax"] = 1,
        ["Squeeze"] = 1,
        ["Unsqueeze"] = 1,
        ["Constant"] = 1,
        ["Shape"] = 1,
        ["Size"] = 1,
        ["Gather"] = 1,
        ["Slice"] = 1,
        ["Concat"] = 4,
        ["Reshape"] = 5,
        ["Relu"] = 6,
        ["LeakyRelu"] = 6,
        ["Sigmoid"] = 6,
        ["Tanh"] = 6,
        ["Clip"] = 6,
        ["Cast"] = 6,
        ["Neg"] = 6,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The earliest opset at which the importer's reading of <paramref name="opType"/> holds (its mapper's, else the table's).</summary>
    public static long EarliestOpset(string opType) =>
        (ByOp.TryGetValue(opType, out var mapper) ? mapper.EarliestOpset(opType) : null) ?? EarliestOpsets.GetValueOrDefault(opType, MinOpset);

    private static void CheckDomainAndOpset(OnnxNode node)
    {
        if (!node.IsDefaultDomain)
        {
            throw node.Unsupported($"operator {node.OpType} of domain '{node.Domain}' (only the default ONNX domain is mapped)");
        }
        long earliest = EarliestOpset(node.OpType);
        if (node.Opset < earliest || node.Opset > MaxOpset)
        {
            throw node.Unsupported($"opset {node.Opset} (the importer implements {node.OpType} for opsets {earliest} to {MaxOpset})");
        }
    }

    private static long[] InputShape(OnnxValueInfo input, OnnxMapContext context)
    {
        // A float16 input is given as float values (FP16 steps round them to halves as they read them).
        if (input.ElementType is not (OnnxDataType.Float or OnnxDataType.Float16 or OnnxDataType.Undefined))
        {
            throw OnnxImportException.Malformed($"graph input '{input.Name}'",
                $"the input is {input.ElementType}; only float and float16 inputs are supported.");
        }
        if (input.Shape is not { Count: > 0 } dims)
        {
            throw OnnxImportException.Malformed($"graph input '{input.Name}'",
                "the input declares no shape (a rank and all dimensions but the batch are needed).");
        }
        var shape = new long[dims.Count];
        shape[0] = context.BatchDim;
        if (context.UnitBatch && context.Options.BatchSize is null)
        {
            // The tensor is one item: dimension 0 is an ordinary dimension, as declared.
            shape[0] = dims[0].Value is > 0 and var d0 ? d0
                : throw OnnxImportException.Malformed($"graph input '{input.Name}'", $"dimension 0 is '{dims[0]}'; with the tensors taken whole as one item it must be known (or the BatchSize set).");
        }
        if (dims[0].Value is { } declared && context.Options.BatchSize is null && declared != 1)
        {
            context.Network.Note($"input '{input.Name}': declared batch {declared} treated as dynamic.");
        }
        for (int i = 1; i < dims.Count; i++)
        {
            shape[i] = dims[i].Value is > 0 and var v ? v
                : throw OnnxImportException.Malformed($"graph input '{input.Name}'",
                    $"dimension {i} is '{dims[i]}'; only the batch (dimension 0) may be symbolic.");
        }
        OnnxTensor.ElementCountChecked(shape.Skip(1).ToArray(), 1L << 40, $"graph input '{input.Name}'", input.Name);
        return shape;
    }

    private static ImportedTensor OutputTensor(string name, OnnxMapContext context)
    {
        var probe = new OnnxNode(-1, "graph output", "Output", "", 0, [name], [name], []);
        var tensor = context.Runtime(probe, 0);
        if (tensor.Name == name)
        {
            return tensor;
        }
        // An alias (Identity, Dropout, a QDQ pair) is an output: give it its own name with a view.
        var viewNode = new OnnxNode(-1, $"output '{name}'", "Identity", "", 0, [tensor.Name], [name], []);
        return context.AddLayer(viewNode, new ReshapeSpec(), [tensor], [.. tensor.Shape], name);
    }
}
