namespace ILGPUInt8.Training;

/// <summary>The shape of one batch item of an activation, NHWC: H × W × C (a vector is 1 × 1 × C).</summary>
/// <param name="H">Height.</param>
/// <param name="W">Width.</param>
/// <param name="C">Channels.</param>
public readonly record struct FeatureShape(int H, int W, int C)
{
    /// <summary>Values of one item.</summary>
    public int Volume => H * W * C;

    /// <inheritdoc />
    public override string ToString() => $"{H}×{W}×{C}";
}
