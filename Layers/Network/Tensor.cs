namespace ILGPUInt8.Layers.Network;

/// <summary>
/// A tensor of a <see cref="NetworkDefinition"/>: a network input or the output of a layer, with a unique name, its
/// per-item dimensions, and optionally a dynamic range (the symmetric INT8 threshold T: values in [−T, T], scale T/127).
/// </summary>
public sealed class Tensor
{
    private string _name;

    internal Tensor(NetworkDefinition network, string name, TensorDims dims, Layer? producer)
    {
        Network = network;
        _name = name;
        Dims = dims;
        Producer = producer;
    }

    /// <summary>The network the tensor belongs to.</summary>
    public NetworkDefinition Network { get; }

    /// <summary>Unique name (calibration tables and ranges refer to tensors by it).</summary>
    public string Name
    {
        get => _name;
        set
        {
            if (value == _name)
            {
                return;
            }

            Network.CheckTensorName(value);
            _name = value;
        }
    }

    /// <summary>Per-item dimensions (C, H, W).</summary>
    public TensorDims Dims { get; internal set; }

    /// <summary>The layer that computes it; null for a network input.</summary>
    public Layer? Producer { get; }

    /// <summary>True for a network input.</summary>
    public bool IsNetworkInput => Producer is null;

    /// <summary>True when marked as a network output.</summary>
    public bool IsNetworkOutput => Network.Outputs.Contains(this);

    /// <summary>The INT8 threshold T set by <see cref="SetDynamicRange"/>, or null.</summary>
    public float? DynamicRange { get; private set; }

    /// <summary>
    /// Sets the range the tensor's values take, as TensorRT's setDynamicRange: symmetric INT8 uses T = max(|min|, |max|).
    /// Takes precedence over a calibration table and a calibrator.
    /// </summary>
    public void SetDynamicRange(float min, float max)
    {
        if (float.IsNaN(min) || float.IsNaN(max) || float.IsInfinity(min) || float.IsInfinity(max) || min > max)
        {
            throw new ArgumentException($"Tensor '{Name}': range [{min}, {max}] must be finite with min ≤ max.", nameof(min));
        }

        var t = Math.Max(Math.Abs(min), Math.Abs(max));
        if (!(t > 0f))
        {
            throw new ArgumentException($"Tensor '{Name}': range [{min}, {max}] is empty; the threshold must be > 0.", nameof(max));
        }

        DynamicRange = t;
    }

    /// <summary>Removes a range set before.</summary>
    public void ClearDynamicRange() => DynamicRange = null;

    /// <inheritdoc />
    public override string ToString() => $"{Name} {Dims}";
}
