namespace ILGPUInt8.Kernels.Ops;

/// <summary>Host-side argument checks of the layer operators: they throw before any launch, naming the argument.</summary>
internal static class OpArgs
{
    /// <summary>Throws unless both lengths are equal and fit the kernels' int indexing.</summary>
    public static void SameLength(long expected, long actual, string name)
    {
        if (expected != actual)
        {
            throw new ArgumentException($"{name} has {actual} elements; {expected} are needed.", name);
        }

        if (expected > int.MaxValue)
        {
            throw new ArgumentException($"{name} has {expected} elements; at most {int.MaxValue} are supported.", name);
        }
    }

    /// <summary>Throws unless a view holds at least <paramref name="need"/> elements.</summary>
    public static void AtLeast(long length, long need, string name)
    {
        if (length < need)
        {
            throw new ArgumentException($"{name} has {length} elements; {need} are needed.", name);
        }

        if (need > int.MaxValue)
        {
            throw new ArgumentException($"{name} needs {need} elements; at most {int.MaxValue} are supported.", name);
        }
    }

    /// <summary>Throws unless a scale is finite and positive.</summary>
    public static void Scale(float scale, string name)
    {
        if (!(scale > 0f) || float.IsInfinity(scale))
        {
            throw new ArgumentException($"{name} = {scale} must be finite and > 0.", name);
        }
    }

    /// <summary>Throws unless the shape has positive dimensions.</summary>
    public static void Shape(Tensors.TensorShape shape, string name) => shape.Validate(name);
}
