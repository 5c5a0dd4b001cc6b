namespace ILGPUInt8.Layers.Onnx;

/// <summary>How <see cref="OnnxImporter"/> maps a graph.</summary>
public sealed record OnnxImportOptions
{
    /// <summary>The defaults: dynamic batch, constant inputs none.</summary>
    public static OnnxImportOptions Default { get; } = new();

    /// <summary>
    /// Null (the default): dimension 0 of every graph input is a dynamic batch, whatever value_info says.
    /// A number: the batch is fixed to it, so shape arithmetic on the batch size folds to constants.
    /// </summary>
    public int? BatchSize { get; init; }

    /// <summary>
    /// Graph inputs to treat as initializers (weights fed as inputs, as the ONNX node tests do), by name.
    /// </summary>
    public IReadOnlyDictionary<string, OnnxTensor>? ConstantInputs { get; init; }
}
