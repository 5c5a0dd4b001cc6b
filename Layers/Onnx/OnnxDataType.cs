namespace ILGPUInt8.Layers.Onnx;

/// <summary>ONNX tensor element types (the values of TensorProto.DataType in the format).</summary>
public enum OnnxDataType
{
    /// <summary>Not set.</summary>
    Undefined = 0,
    /// <summary>32-bit float.</summary>
    Float = 1,
    /// <summary>Unsigned 8-bit integer.</summary>
    UInt8 = 2,
    /// <summary>Signed 8-bit integer.</summary>
    Int8 = 3,
    /// <summary>Unsigned 16-bit integer.</summary>
    UInt16 = 4,
    /// <summary>Signed 16-bit integer.</summary>
    Int16 = 5,
    /// <summary>Signed 32-bit integer.</summary>
    Int32 = 6,
    /// <summary>Signed 64-bit integer.</summary>
    Int64 = 7,
    /// <summary>UTF-8 string.</summary>
    String = 8,
    /// <summary>Boolean (one byte).</summary>
    Bool = 9,
    /// <summary>IEEE half.</summary>
    Float16 = 10,
    /// <summary>64-bit float.</summary>
    Double = 11,
    /// <summary>Unsigned 32-bit integer.</summary>
    UInt32 = 12,
    /// <summary>Unsigned 64-bit integer.</summary>
    UInt64 = 13,
    /// <summary>Two 32-bit floats.</summary>
    Complex64 = 14,
    /// <summary>Two 64-bit floats.</summary>
    Complex128 = 15,
    /// <summary>Brain float 16.</summary>
    BFloat16 = 16,
}

/// <summary>Facts about <see cref="OnnxDataType"/>.</summary>
public static class OnnxDataTypes
{
    /// <summary>Bytes per element in raw_data, or 0 for types the importer does not decode (string, complex, unknown).</summary>
    public static int ElementSize(OnnxDataType type) => type switch
    {
        OnnxDataType.Float or OnnxDataType.Int32 or OnnxDataType.UInt32 => 4,
        OnnxDataType.UInt8 or OnnxDataType.Int8 or OnnxDataType.Bool => 1,
        OnnxDataType.UInt16 or OnnxDataType.Int16 or OnnxDataType.Float16 or OnnxDataType.BFloat16 => 2,
        OnnxDataType.Int64 or OnnxDataType.Double or OnnxDataType.UInt64 => 8,
        _ => 0,
    };

    /// <summary>True for types whose values are integers.</summary>
    public static bool IsInteger(OnnxDataType type) => type is OnnxDataType.UInt8 or OnnxDataType.Int8
        or OnnxDataType.UInt16 or OnnxDataType.Int16 or OnnxDataType.Int32 or OnnxDataType.Int64
        or OnnxDataType.UInt32 or OnnxDataType.UInt64 or OnnxDataType.Bool;
}
