namespace ILGPUInt8.Layers.Onnx;

/// <summary>Limits that keep a hostile or corrupted file from taking unbounded memory or time.</summary>
public sealed record OnnxReadOptions
{
    /// <summary>The defaults: 2^30 elements per tensor, 2^20 nodes, 2 GiB files.</summary>
    public static OnnxReadOptions Default { get; } = new();

    /// <summary>Largest element count a tensor may declare (checked before anything is allocated).</summary>
    public long MaxTensorElements { get; init; } = 1L << 30;

    /// <summary>Largest number of nodes a graph may have.</summary>
    public int MaxNodes { get; init; } = 1 << 20;

    /// <summary>Largest file accepted, in bytes.</summary>
    public long MaxFileBytes { get; init; } = int.MaxValue;
}
