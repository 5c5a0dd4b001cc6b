using System.Buffers.Binary;
using System.Globalization;
using ILGPUInt8.Layers.Onnx.Proto;

namespace ILGPUInt8.Layers.Onnx;

/// <summary>
/// A constant ONNX tensor (an initializer, a Constant node's value, a folded shape, or a test input),
/// decoded eagerly: floating types are held as <see cref="float"/>, integer and boolean types as
/// <see cref="long"/> (exact for every int8/uint8/int32/int64 value). The element type of the file is
/// kept in <see cref="DataType"/>.
/// </summary>
public sealed class OnnxTensor
{
    private readonly float[]? _floats;
    private readonly long[]? _integers;

    private OnnxTensor(string name, OnnxDataType type, long[] dims, float[]? floats, long[]? integers)
    {
        Name = name;
        DataType = type;
        Dims = dims;
        _floats = floats;
        _integers = integers;
    }

    /// <summary>The tensor's name (may be empty for attribute tensors).</summary>
    public string Name { get; }

    /// <summary>The element type recorded in the file.</summary>
    public OnnxDataType DataType { get; }

    /// <summary>The dimensions (empty for a scalar).</summary>
    public IReadOnlyList<long> Dims { get; }

    /// <summary>Number of elements (1 for a scalar).</summary>
    public long ElementCount => _floats?.Length ?? _integers!.Length;

    /// <summary>True when the values are held as floats (float, float16, bfloat16, double in the file).</summary>
    public bool IsFloat => _floats is not null;

    /// <summary>The float values; throws when the tensor holds integers.</summary>
    public ReadOnlySpan<float> Floats => _floats ?? throw new InvalidOperationException(
        $"Tensor '{Name}' holds {DataType} values, not floats.");

    /// <summary>The integer values; throws when the tensor holds floats.</summary>
    public ReadOnlySpan<long> Integers => _integers ?? throw new InvalidOperationException(
        $"Tensor '{Name}' holds {DataType} values, not integers.");

    /// <summary>The values as floats (integers converted).</summary>
    public float[] ToFloatArray()
    {
        if (_floats is not null)
        {
            return (float[])_floats.Clone();
        }
        var result = new float[_integers!.Length];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = _integers[i];
        }
        return result;
    }

    /// <summary>The values as 64-bit integers; throws for float tensors.</summary>
    public long[] ToInt64Array() => (long[])Integers.ToArray();

    /// <summary>The shape as an int array (dimensions must fit in int).</summary>
    public int[] DimsAsInt32()
    {
        var dims = new int[Dims.Count];
        for (int i = 0; i < dims.Length; i++)
        {
            dims[i] = checked((int)Dims[i]);
        }
        return dims;
    }

    /// <summary>A float tensor.</summary>
    /// <param name="name">Tensor name.</param>
    /// <param name="dims">Dimensions; their product must equal the value count.</param>
    /// <param name="values">Values (not copied).</param>
    public static OnnxTensor FromFloats(string name, IReadOnlyList<long> dims, float[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        CheckCount(name, dims, values.Length);
        return new OnnxTensor(name, OnnxDataType.Float, [.. dims], values, null);
    }

    /// <summary>An integer tensor of a given integer element type.</summary>
    /// <param name="name">Tensor name.</param>
    /// <param name="dims">Dimensions; their product must equal the value count.</param>
    /// <param name="values">Values (not copied).</param>
    /// <param name="type">An integer or boolean element type.</param>
    public static OnnxTensor FromIntegers(string name, IReadOnlyList<long> dims, long[] values,
        OnnxDataType type = OnnxDataType.Int64)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (!OnnxDataTypes.IsInteger(type))
        {
            throw new ArgumentException($"{type} is not an integer type.", nameof(type));
        }
        CheckCount(name, dims, values.Length);
        return new OnnxTensor(name, type, [.. dims], null, values);
    }

    /// <summary>This tensor's values under another name and shape (same element count).</summary>
    public OnnxTensor WithShape(string name, IReadOnlyList<long> dims)
    {
        CheckCount(name, dims, ElementCount);
        return new OnnxTensor(name, DataType, [.. dims], _floats, _integers);
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Name} {DataType}[{string.Join(", ", Dims.Select(d => d.ToString(CultureInfo.InvariantCulture)))}]";

    private static void CheckCount(string name, IReadOnlyList<long> dims, long count)
    {
        ArgumentNullException.ThrowIfNull(dims);
        long product = 1;
        foreach (long d in dims)
        {
            if (d < 0)
            {
                throw new ArgumentException($"Tensor '{name}' has a negative dimension.", nameof(dims));
            }
            product = checked(product * d);
        }
        if (product != count)
        {
            throw new ArgumentException($"Tensor '{name}': dimensions hold {product} elements but {count} values were given.", nameof(dims));
        }
    }

    /// <summary>
    /// Decodes a TensorProto with every size checked before anything is allocated: the declared element
    /// count must not exceed <paramref name="maxElements"/> and must match the values present exactly.
    /// </summary>
    internal static OnnxTensor Decode(TensorProto proto, string location, long maxElements)
    {
        string name = proto.Name ?? "";
        if (proto.DataLocation == TensorProto.Types.DataLocation.External || proto.ExternalData.Count > 0)
        {
            throw OnnxImportException.Malformed(location, $"tensor '{name}' keeps its data in an external file, which is not supported.");
        }
        if (proto.Segment is not null)
        {
            throw OnnxImportException.Malformed(location, $"tensor '{name}' is a segment of a larger tensor, which is not supported.");
        }
        long[] dims = [.. proto.Dims];
        long count = ElementCountChecked(dims, maxElements, location, name);
        var type = (OnnxDataType)proto.DataType;
        int size = OnnxDataTypes.ElementSize(type);
        if (size == 0)
        {
            throw OnnxImportException.Malformed(location, $"tensor '{name}' has element type {type} ({proto.DataType}), which the importer does not read.");
        }
        bool hasRaw = proto.HasRawData;
        int typedCount = TypedCount(proto, type);
        if (hasRaw && typedCount > 0)
        {
            throw OnnxImportException.Malformed(location, $"tensor '{name}' has both raw_data and typed data.");
        }
        if (hasRaw)
        {
            long expected = count * size;
            if (proto.RawData.Length != expected)
            {
                throw OnnxImportException.Malformed(location,
                    $"tensor '{name}' declares {count} {type} elements ({expected} bytes) but raw_data holds {proto.RawData.Length} bytes.");
            }
            return DecodeRaw(name, type, dims, (int)count, proto.RawData.Span, location);
        }
        if (typedCount != count)
        {
            throw OnnxImportException.Malformed(location,
                $"tensor '{name}' declares {count} {type} elements but holds {typedCount} values.");
        }
        return DecodeTyped(name, type, dims, (int)count, proto, location);
    }

    /// <summary>Product of dimensions with overflow, sign and cap checks.</summary>
    internal static long ElementCountChecked(IReadOnlyList<long> dims, long maxElements, string location, string name)
    {
        long count = 1;
        foreach (long d in dims)
        {
            if (d < 0)
            {
                throw OnnxImportException.Malformed(location, $"tensor '{name}' has a negative dimension {d}.");
            }
            if (d != 0 && count > maxElements / d)
            {
                throw OnnxImportException.Malformed(location,
                    $"tensor '{name}' declares dimensions [{string.Join(", ", dims)}], more than the cap of {maxElements} elements.");
            }
            count *= d;
        }
        return count;
    }

    private static int TypedCount(TensorProto p, OnnxDataType type) => type switch
    {
        OnnxDataType.Float => p.FloatData.Count,
        OnnxDataType.Double => p.DoubleData.Count,
        OnnxDataType.Int64 => p.Int64Data.Count,
        OnnxDataType.UInt32 or OnnxDataType.UInt64 => p.Uint64Data.Count,
        _ => p.Int32Data.Count,
    };

    private static OnnxTensor DecodeRaw(string name, OnnxDataType type, long[] dims, int count, ReadOnlySpan<byte> raw, string location)
    {
        switch (type)
        {
            case OnnxDataType.Float:
                {
                    var f = new float[count];
                    for (int i = 0; i < count; i++)
                    {
                        f[i] = BinaryPrimitives.ReadSingleLittleEndian(raw[(4 * i)..]);
                    }
                    return new OnnxTensor(name, type, dims, f, null);
                }
            case OnnxDataType.Double:
                {
                    var f = new float[count];
                    for (int i = 0; i < count; i++)
                    {
                        f[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(raw[(8 * i)..]);
                    }
                    return new OnnxTensor(name, type, dims, f, null);
                }
            case OnnxDataType.Float16:
            case OnnxDataType.BFloat16:
                {
                    var f = new float[count];
                    for (int i = 0; i < count; i++)
                    {
                        f[i] = HalfBits(type, BinaryPrimitives.ReadUInt16LittleEndian(raw[(2 * i)..]));
                    }
                    return new OnnxTensor(name, type, dims, f, null);
                }
            default:
                {
                    var v = new long[count];
                    int size = OnnxDataTypes.ElementSize(type);
                    for (int i = 0; i < count; i++)
                    {
                        ReadOnlySpan<byte> b = raw[(size * i)..];
                        v[i] = type switch
                        {
                            OnnxDataType.UInt8 => b[0],
                            OnnxDataType.Int8 => (sbyte)b[0],
                            OnnxDataType.Bool => b[0] != 0 ? 1 : 0,
                            OnnxDataType.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(b),
                            OnnxDataType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(b),
                            OnnxDataType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(b),
                            OnnxDataType.UInt32 => BinaryPrimitives.ReadUInt32LittleEndian(b),
                            OnnxDataType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(b),
                            OnnxDataType.UInt64 => UInt64Value(BinaryPrimitives.ReadUInt64LittleEndian(b), name, location),
                            _ => throw OnnxImportException.Malformed(location, $"tensor '{name}' has unreadable type {type}."),
                        };
                    }
                    return new OnnxTensor(name, type, dims, null, v);
                }
        }
    }

    private static OnnxTensor DecodeTyped(string name, OnnxDataType type, long[] dims, int count, TensorProto p, string location)
    {
        switch (type)
        {
            case OnnxDataType.Float:
                return new OnnxTensor(name, type, dims, [.. p.FloatData], null);
            case OnnxDataType.Double:
                return new OnnxTensor(name, type, dims, [.. p.DoubleData.Select(d => (float)d)], null);
            case OnnxDataType.Float16:
            case OnnxDataType.BFloat16:
                {
                    var f = new float[count];
                    for (int i = 0; i < count; i++)
                    {
                        f[i] = HalfBits(type, (ushort)p.Int32Data[i]);
                    }
                    return new OnnxTensor(name, type, dims, f, null);
                }
            case OnnxDataType.Int64:
                return new OnnxTensor(name, type, dims, null, [.. p.Int64Data]);
            case OnnxDataType.UInt32:
            case OnnxDataType.UInt64:
                return new OnnxTensor(name, type, dims, null, [.. p.Uint64Data.Select(u => UInt64Value(u, name, location))]);
            default:
                {
                    var (lo, hi) = type switch
                    {
                        OnnxDataType.UInt8 => (0L, 255L),
                        OnnxDataType.Int8 => (-128L, 127L),
                        OnnxDataType.Bool => (0L, 1L),
                        OnnxDataType.UInt16 => (0L, 65535L),
                        OnnxDataType.Int16 => (-32768L, 32767L),
                        _ => ((long)int.MinValue, (long)int.MaxValue),
                    };
                    var v = new long[count];
                    for (int i = 0; i < count; i++)
                    {
                        long x = p.Int32Data[i];
                        if (x < lo || x > hi)
                        {
                            throw OnnxImportException.Malformed(location, $"tensor '{name}' value {x} at index {i} is outside the {type} range.");
                        }
                        v[i] = x;
                    }
                    return new OnnxTensor(name, type, dims, null, v);
                }
        }
    }

    private static long UInt64Value(ulong u, string name, string location) => u <= long.MaxValue
        ? (long)u
        : throw OnnxImportException.Malformed(location, $"tensor '{name}' holds an unsigned value {u} beyond the signed 64-bit range.");

    private static float HalfBits(OnnxDataType type, ushort bits) => type == OnnxDataType.Float16
        ? (float)BitConverter.UInt16BitsToHalf(bits)
        : BitConverter.Int32BitsToSingle(bits << 16);
}
