namespace ILGPUInt8.Kernels.Tensors;

/// <summary>
/// The logical shape of a 4-D activation tensor (N, C, H, W), independent of its memory format.
/// Lower-rank tensors use H = W = 1 (a matrix [N, C]) or N = 1.
/// </summary>
/// <param name="N">Batch.</param>
/// <param name="C">Channels.</param>
/// <param name="H">Height.</param>
/// <param name="W">Width.</param>
public readonly record struct TensorShape(int N, int C, int H, int W)
{
    /// <summary>Number of logical elements N·C·H·W.</summary>
    public long Elements => (long)N * C * H * W;

    /// <summary>Channels rounded up to a multiple of 4 (the channel count NCHW_VECT_C stores).</summary>
    public int PaddedC4 => (C + 3) / 4 * 4;

    /// <summary>Elements stored in memory in a format (NCHW_VECT_C stores padded channels).</summary>
    public long StoredElements(TensorFormat format) =>
        format == TensorFormat.NCHW_VECT_C ? (long)N * PaddedC4 * H * W : Elements;

    /// <summary>Throws when a dimension is not positive.</summary>
    public void Validate(string argumentName)
    {
        if (N <= 0 || C <= 0 || H <= 0 || W <= 0)
        {
            throw new ArgumentException($"Shape {this} has a non-positive dimension.", argumentName);
        }
    }

    /// <summary>Element offset of (n, c, h, w) in a format.</summary>
    public long Offset(TensorFormat format, int n, int c, int h, int w) => format switch
    {
        TensorFormat.NCHW => default(NchwLayout).Offset(n, c, h, w, C, H, W),
        TensorFormat.NHWC => default(NhwcLayout).Offset(n, c, h, w, C, H, W),
        TensorFormat.NCHW_VECT_C => default(NchwVectCLayout).Offset(n, c, h, w, C, H, W),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown tensor format."),
    };

    /// <inheritdoc />
    public override string ToString() => $"[{N}, {C}, {H}, {W}]";
}
