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

    /// <summary>
    /// False (the default): dimension 0 of every graph input is the engine's batch. True: every tensor is taken whole as
    /// one item of an engine of batch 1, [d0, d1, …] running as [1, d0, d1, …] (every node's axes move by one), so nodes
    /// may work along dimension 0 (concatenation, reshapes, softmax, slices and splits across it); dimension 0 of each
    /// graph input is <see cref="BatchSize"/> or else its declared size. Operators that need a batch of items (convolution,
    /// pooling, fully connected, per-channel scales, LRN, resize, channel shuffle) are refused in this form.
    /// </summary>
    public bool UnitBatch { get; init; }
}
