namespace ILGPUInt8.Layers.Onnx;

/// <summary>Maps one family of ONNX operators onto layers (one small class per family).</summary>
internal interface IOnnxOpMapper
{
    /// <summary>The operators (default domain) this mapper takes.</summary>
    IReadOnlyList<string> OpTypes { get; }

    /// <summary>Input slots of <paramref name="node"/> that must be constants (weights, shapes, bounds).</summary>
    IReadOnlyList<int> ConstantInputs(OnnxNode node);

    /// <summary>
    /// The earliest opset at which this mapper's reading of <paramref name="opType"/> holds, or null for the importer's
    /// table (<see cref="OnnxImporter.EarliestOpset"/>).
    /// </summary>
    long? EarliestOpset(string opType) => null;

    /// <summary>Adds the layers for <paramref name="node"/> (or defines its outputs as aliases/constants).</summary>
    void Map(OnnxNode node, OnnxMapContext context);
}
