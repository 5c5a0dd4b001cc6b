namespace ILGPUInt8.Kernels.Tensors;

/// <summary>
/// Symmetric int8 quantization of a tensor: real = q · scale, q in [-127, 127], zero point 0.
/// Either one scale for the tensor or one per channel (<see cref="Axis"/>).
/// </summary>
public sealed class QuantizationParams
{
    private readonly float[] _scales;

    private QuantizationParams(float[] scales, int axis)
    {
        for (var i = 0; i < scales.Length; i++)
        {
            if (!(scales[i] > 0f) || float.IsInfinity(scales[i]))
            {
                throw new ArgumentException($"Scale [{i}] = {scales[i]} must be finite and > 0.", nameof(scales));
            }
        }

        _scales = scales;
        Axis = axis;
    }

    /// <summary>Per-tensor scale s (real = q · s).</summary>
    public static QuantizationParams PerTensor(float scale) => new([scale], -1);

    /// <summary>One scale per index of <paramref name="axis"/> (the channel axis, usually 1 for activations, 0 for weights).</summary>
    public static QuantizationParams PerChannel(ReadOnlySpan<float> scales, int axis)
    {
        if (scales.IsEmpty)
        {
            throw new ArgumentException("At least one scale is needed.", nameof(scales));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(axis);
        return new QuantizationParams(scales.ToArray(), axis);
    }

    /// <summary>Threshold T of a symmetric range: s = T / 127.</summary>
    public static QuantizationParams FromThreshold(float threshold) => PerTensor(threshold / 127f);

    /// <summary>The channel axis of per-channel scales, -1 for per-tensor.</summary>
    public int Axis { get; }

    /// <summary>True when there is one scale per channel.</summary>
    public bool IsPerChannel => Axis >= 0;

    /// <summary>The scales (one element when per tensor).</summary>
    public ReadOnlySpan<float> Scales => _scales;

    /// <summary>The per-tensor scale (throws when per channel).</summary>
    public float Scale => IsPerChannel ? throw new InvalidOperationException("Per-channel parameters have no single scale.") : _scales[0];

    /// <inheritdoc />
    public override string ToString() => IsPerChannel ? $"per-channel(axis {Axis}, {_scales.Length} scales)" : $"scale {_scales[0]:G9}";
}
