using System.Runtime.CompilerServices;

namespace ILGPUInt8.Kernels.Quantization;

/// <summary>
/// Maps a flat element index to the index of its scale as a struct type parameter of the kernels:
/// one scale for the tensor, or one per channel where channel(i) = (i / inner) mod channels
/// (NCHW: inner = H·W; NHWC or a row-major [rows, channels] matrix: inner = 1; per-row of a matrix: channels = rows, inner = cols).
/// </summary>
public interface IChannelIndex
{
    /// <summary>The scale index of element <paramref name="i"/>.</summary>
    int At(int i);
}

/// <summary>Every element uses scale 0.</summary>
public readonly struct PerTensorIndex : IChannelIndex
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int At(int i) => 0;
}

/// <summary>channel(i) = (i / Inner) mod Channels.</summary>
/// <param name="Channels">Number of channels (scales).</param>
/// <param name="Inner">Elements between consecutive channels.</param>
public readonly record struct PerChannelIndex(int Channels, int Inner) : IChannelIndex
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int At(int i) => (i / Inner) % Channels;
}
