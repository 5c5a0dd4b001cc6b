using System.Runtime.CompilerServices;
using ILGPUInt8.Kernels.Tensors;

namespace ILGPUInt8.Kernels.Quantization;

/// <summary>
/// Which scale each element of a flat array uses: channel(i) = (i / Inner) mod Channels
/// (NCHW: inner = H·W; NHWC or a row-major [rows, channels] matrix: inner = 1; one scale for the tensor:
/// <see cref="PerTensor"/>). Kernels walk consecutive elements with a <see cref="ChannelCursor"/>, so the two divisions
/// happen once per thread, not once per element.
/// </summary>
/// <param name="Channels">Number of channels (scales).</param>
/// <param name="Inner">Elements between consecutive channels.</param>
public readonly record struct PerChannelIndex(int Channels, int Inner)
{
    /// <summary>Every element uses scale 0.</summary>
    public static PerChannelIndex PerTensor => new(1, int.MaxValue);

    /// <summary>
    /// The channel index along logical axis <paramref name="axis"/> (0 = N, 1 = C, 2 = H, 3 = W) of a tensor stored in
    /// <paramref name="format"/>: Channels = size of the axis, Inner = product of the sizes of the axes stored after it
    /// (NCHW, axis 1: H·W; NHWC, axis 1: 1; a [rows, cols] matrix is shape (rows, cols, 1, 1): axis 1 → 1, axis 0 → cols).
    /// NCHW_VECT_C interleaves channels and has no such index.
    /// </summary>
    public static PerChannelIndex ForAxis(TensorShape shape, TensorFormat format, int axis, string argumentName)
    {
        if (axis is < 0 or > 3)
        {
            throw new ArgumentException($"Channel axis {axis} is not one of 0 (N), 1 (C), 2 (H), 3 (W).", argumentName);
        }

        // Sizes in storage order and the storage position of each logical axis.
        int[] sizes;
        int[] position;
        switch (format)
        {
            case TensorFormat.NCHW:
                sizes = [shape.N, shape.C, shape.H, shape.W];
                position = [0, 1, 2, 3];
                break;
            case TensorFormat.NHWC:
                sizes = [shape.N, shape.H, shape.W, shape.C];
                position = [0, 3, 1, 2];
                break;
            default:
                throw new ArgumentException($"Per-channel scales need format NCHW or NHWC, not {format}.", argumentName);
        }

        long inner = 1;
        for (var p = position[axis] + 1; p < 4; p++)
        {
            inner *= sizes[p];
        }

        if (inner > int.MaxValue)
        {
            throw new ArgumentException($"Tensor {shape} is too large for per-channel indexing along axis {axis}.", argumentName);
        }

        return new PerChannelIndex(sizes[position[axis]], (int)inner);
    }

    /// <summary>channel(i) = (i / Inner) mod Channels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int At(int i) => (i / Inner) % Channels;

    /// <summary>A cursor positioned at element <paramref name="i"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ChannelCursor Start(int i) => new(At(i), i % Inner, this);
}

/// <summary>Walks consecutive elements: <see cref="Channel"/> of the current one, <see cref="Advance"/> to the next.</summary>
public struct ChannelCursor
{
    private readonly int _inner;
    private readonly int _channels;
    private int _within;

    /// <summary>Creates a cursor at channel c, offset r within the channel's run of Inner elements.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ChannelCursor(int channel, int within, PerChannelIndex index)
    {
        Channel = channel;
        _within = within;
        _inner = index.Inner;
        _channels = index.Channels;
    }

    /// <summary>The channel of the current element.</summary>
    public int Channel { get; private set; }

    /// <summary>Moves to the next element: r += 1; at r = Inner, r = 0 and c = (c + 1) mod Channels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Advance()
    {
        _within++;
        if (_within == _inner)
        {
            _within = 0;
            Channel = Channel + 1 == _channels ? 0 : Channel + 1;
        }
    }
}
