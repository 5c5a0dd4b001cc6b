namespace ILGPUInt8.Calibration.Data;

/// <summary>A float tensor in host memory: C-order data and its shape (the first dimension is the batch).</summary>
public sealed class HostTensor
{
    /// <summary>Wraps <paramref name="data"/> (not copied) with <paramref name="shape"/>; their sizes must agree.</summary>
    public HostTensor(float[] data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        long elements = 1;
        foreach (var d in shape)
        {
            if (d < 0)
            {
                throw new ArgumentException($"Shape [{string.Join(", ", shape)}] has a negative dimension.", nameof(shape));
            }

            elements *= d;
        }

        if (elements != data.Length)
        {
            throw new ArgumentException($"Shape [{string.Join(", ", shape)}] holds {elements} elements but the data has {data.Length}.", nameof(data));
        }

        Data = data;
        Shape = shape;
    }

    /// <summary>Elements in C order.</summary>
    public float[] Data { get; }

    /// <summary>Dimensions, outermost first.</summary>
    public IReadOnlyList<int> Shape { get; }

    /// <summary>The shape as text, e.g. [8, 1, 28, 28].</summary>
    public override string ToString() => $"[{string.Join(", ", Shape)}]";
}
