namespace ILGPUInt8.Kernels.Tensors;

/// <summary>Element types, named as cuDNN's data types.</summary>
public enum DataType
{
    /// <summary>32-bit IEEE float.</summary>
    Float,

    /// <summary>16-bit IEEE float.</summary>
    Half,

    /// <summary>Signed 8-bit integer, symmetric range [-127, 127].</summary>
    Int8,

    /// <summary>Signed 32-bit integer (accumulators).</summary>
    Int32,

    /// <summary>Four int8 channels packed in 32 bits; only with <see cref="TensorFormat.NCHW_VECT_C"/> (cuDNN INT8x4).</summary>
    Int8x4,
}

/// <summary>Sizes of <see cref="DataType"/> elements.</summary>
public static class DataTypeExtensions
{
    /// <summary>Bytes of one scalar element (Int8x4 counts one int8 lane: the vector is 4 of them).</summary>
    public static int ElementSize(this DataType type) => type switch
    {
        DataType.Float => 4,
        DataType.Half => 2,
        DataType.Int8 => 1,
        DataType.Int32 => 4,
        DataType.Int8x4 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown data type."),
    };

    /// <summary>The .NET element type a buffer of this data type is viewed as.</summary>
    public static Type ClrType(this DataType type) => type switch
    {
        DataType.Float => typeof(float),
        DataType.Half => typeof(ILGPU.Half),
        DataType.Int8 or DataType.Int8x4 => typeof(sbyte),
        DataType.Int32 => typeof(int),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown data type."),
    };
}
