using ILGPUInt8.Kernels.Tensors;

namespace ILGPUInt8.Layers.Network;

/// <summary>
/// The shape of one batch item of a tensor, (C, H, W); the batch dimension is implicit (an engine runs any batch up to
/// its maximum). A vector is (C, 1, 1).
/// </summary>
/// <param name="C">Channels.</param>
/// <param name="H">Height.</param>
/// <param name="W">Width.</param>
public readonly record struct TensorDims(int C, int H, int W)
{
    /// <summary>A vector of <paramref name="length"/> values, (length, 1, 1).</summary>
    public static TensorDims Vector(int length) => new(length, 1, 1);

    /// <summary>Elements of one batch item C·H·W.</summary>
    public long Volume => (long)C * H * W;

    /// <summary>H·W.</summary>
    public int Plane => H * W;

    /// <summary>True when every dimension is positive.</summary>
    public bool IsValid => C > 0 && H > 0 && W > 0;

    /// <summary>
    /// The batch size of a tensor of shape <paramref name="shape"/> holding items of these dimensions, checked dimension by
    /// dimension (never by element count alone: channels-last [N, H, W, C] data must not pass for [N, C, H, W]), or null
    /// when the shape does not fit. Accepted: [N, C, H, W]; [C, H, W] (one item); [N, C, H] when W = 1; [N, C] and [C]
    /// when H = W = 1.
    /// </summary>
    public int? BatchOf(IReadOnlyList<int> shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        bool Tail(int from, params int[] dims) => shape.Count - from == dims.Length && dims.Select((d, i) => shape[from + i] == d).All(x => x);
        if (shape.Count > 0 && shape[0] > 0)
        {
            if (Tail(1, C, H, W) || (W == 1 && Tail(1, C, H)) || (H == 1 && W == 1 && Tail(1, C)))
            {
                return shape[0];
            }
        }

        return Tail(0, C, H, W) || (H == 1 && W == 1 && Tail(0, C)) ? 1 : null;
    }

    /// <summary>The 4-D shape of a batch of <paramref name="n"/> items.</summary>
    public TensorShape WithBatch(int n) => new(n, C, H, W);

    /// <summary>Size along <paramref name="axis"/>.</summary>
    public int Size(ItemAxis axis) => axis switch
    {
        ItemAxis.Channel => C,
        ItemAxis.Height => H,
        _ => W,
    };

    /// <summary>
    /// A batch of <paramref name="n"/> items held NHWC seen as [outer, length, inner] along <paramref name="axis"/>:
    /// channels (N·H·W, C, 1), height (N, H, W·C), width (N·H, W, C).
    /// </summary>
    public (int Outer, int Length, int Inner) Nhwc(ItemAxis axis, int n) => axis switch
    {
        ItemAxis.Channel => (n * Plane, C, 1),
        ItemAxis.Height => (n, H, W * C),
        _ => (n * H, W, C),
    };

    /// <summary>The same view of the NCHW layout (references): channels (N, C, H·W), height (N·C, H, W), width (N·C·H, W, 1).</summary>
    public (int Outer, int Length, int Inner) Nchw(ItemAxis axis, int n) => axis switch
    {
        ItemAxis.Channel => (n, C, Plane),
        ItemAxis.Height => (n * C, H, W),
        _ => (n * C * H, W, 1),
    };

    /// <inheritdoc />
    public override string ToString() => $"({C}, {H}, {W})";
}

/// <summary>An axis of a batch item (C, H, W) that a softmax or a concatenation works along.</summary>
public enum ItemAxis
{
    /// <summary>Channels C (ONNX axis 1).</summary>
    Channel,

    /// <summary>Height H (ONNX axis 2 of [N, C, H, W]).</summary>
    Height,

    /// <summary>Width W (ONNX axis 3 of [N, C, H, W], axis 2 of [N, C, L]).</summary>
    Width,
}

/// <summary>A height and width pair (kernel, stride, padding, dilation); an int converts to (v, v), a tuple to (h, w).</summary>
/// <param name="H">Vertical value.</param>
/// <param name="W">Horizontal value.</param>
public readonly record struct Size2(int H, int W)
{
    /// <summary>(v, v).</summary>
    public static implicit operator Size2(int value) => new(value, value);

    /// <summary>(h, w).</summary>
    public static implicit operator Size2((int H, int W) value) => new(value.H, value.W);

    /// <summary>(v, v), the named form of the implicit conversion.</summary>
    public static Size2 FromInt32(int value) => new(value, value);

    /// <summary>(h, w), the named form of the implicit conversion.</summary>
    public static Size2 FromValueTuple((int H, int W) value) => new(value.H, value.W);

    /// <inheritdoc />
    public override string ToString() => H == W ? H.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{H}x{W}";
}
