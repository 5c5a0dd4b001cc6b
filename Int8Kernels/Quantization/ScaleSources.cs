using System.Runtime.CompilerServices;
using ILGPU;

namespace ILGPUInt8.Kernels.Quantization;

/// <summary>
/// Where the quantize and dequantize kernels take the float factor of element i from (1/s(i) for quantize, s(i) for
/// dequantize), as a struct type parameter: one value for the whole tensor (<see cref="TensorScale"/>, held in a
/// register) or one per channel (<see cref="ChannelScales"/>, channel(i) = (i / inner) mod channels). Each
/// instantiation is its own kernel, so the per-tensor kernel has no channel arithmetic and no factor loads.
/// </summary>
public interface IScaleSource
{
    /// <summary>The factor of element <paramref name="i"/> (used by the one-element-per-thread tail kernel).</summary>
    float At(int i);

    /// <summary>Positions the walk at element <paramref name="i"/>.</summary>
    void Seek(int i);

    /// <summary>Returns the factor of the current element and moves to the next one.</summary>
    float Next();
}

/// <summary>factor(i) = Value for every element (per-tensor quantization).</summary>
/// <param name="Value">The factor (1/s for quantize, s for dequantize).</param>
public readonly record struct TensorScale(float Value) : IScaleSource
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float At(int i) => Value;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Seek(int i)
    {
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Next() => Value;
}

/// <summary>
/// factor(i) = Scales[(i / Inner) mod Channels] (per-channel quantization). The walk keeps a <see cref="ChannelCursor"/>,
/// so a thread divides once in <see cref="Seek"/> and then only counts.
/// </summary>
public struct ChannelScales : IScaleSource
{
    private readonly ArrayView<float> _scales;
    private readonly PerChannelIndex _index;
    private ChannelCursor _cursor;

    /// <summary>Factors on the device, one per channel of <paramref name="index"/>.</summary>
    public ChannelScales(ArrayView<float> scales, PerChannelIndex index)
    {
        _scales = scales;
        _index = index;
        _cursor = index.Start(0);
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float At(int i) => _scales[_index.At(i)];

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Seek(int i) => _cursor = _index.Start(i);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Next()
    {
        float s = _scales[_cursor.Channel];
        _cursor.Advance();
        return s;
    }
}
