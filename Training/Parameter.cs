namespace ILGPUInt8.Training;

/// <summary>
/// A trainable tensor: its values, the gradient of the loss (written by the last backward pass), the SGD momentum
/// buffer, and an optional mask of frozen elements (INQ: weights already fixed at a power of two get no update).
/// </summary>
public sealed class Parameter
{
    /// <summary>A parameter holding <paramref name="values"/> (owned, not copied).</summary>
    /// <param name="name">The ONNX initializer name (export writes the values back under it).</param>
    /// <param name="shape">The ONNX shape.</param>
    /// <param name="values">The values in ONNX order.</param>
    /// <param name="decay">Whether weight decay applies (weights: yes; biases and batch-norm affine: no).</param>
    public Parameter(string name, int[] shape, float[] values, bool decay)
    {
        long volume = shape.Aggregate(1L, (a, d) => a * d);
        if (volume != values.Length)
        {
            throw new ArgumentException($"Parameter '{name}': shape [{string.Join(", ", shape)}] holds {volume} values, not {values.Length}.", nameof(values));
        }

        Name = name;
        Shape = shape;
        Value = values;
        Grad = new float[values.Length];
        Velocity = new float[values.Length];
        Decay = decay;
    }

    /// <summary>The ONNX initializer name.</summary>
    public string Name { get; }

    /// <summary>The ONNX shape.</summary>
    public int[] Shape { get; }

    /// <summary>Values (ONNX order).</summary>
    public float[] Value { get; }

    /// <summary>∂loss/∂value of the last backward pass.</summary>
    public float[] Grad { get; }

    /// <summary>SGD momentum buffer.</summary>
    public float[] Velocity { get; }

    /// <summary>Weight decay applies.</summary>
    public bool Decay { get; }

    /// <summary>Elements that no longer train (null: none).</summary>
    public bool[]? Frozen { get; set; }

    /// <inheritdoc />
    public override string ToString() => $"{Name} [{string.Join(", ", Shape)}]";
}
