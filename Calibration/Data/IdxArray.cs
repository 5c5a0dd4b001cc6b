using System.Buffers.Binary;

namespace ILGPUInt8.Calibration.Data;

/// <summary>IDX element type codes (the third magic byte).</summary>
public enum IdxType : byte
{
    /// <summary>0x08: unsigned byte (MNIST images and labels).</summary>
    UInt8 = 0x08,

    /// <summary>0x09: signed byte.</summary>
    Int8 = 0x09,

    /// <summary>0x0B: big-endian int16.</summary>
    Int16 = 0x0B,

    /// <summary>0x0C: big-endian int32.</summary>
    Int32 = 0x0C,

    /// <summary>0x0D: big-endian float32.</summary>
    Float32 = 0x0D,

    /// <summary>0x0E: big-endian float64.</summary>
    Float64 = 0x0E,
}

/// <summary>
/// An IDX array: element type, shape and the elements as stored (big-endian, C order), read on demand
/// (Fashion-MNIST's 47 M bytes stay bytes).
/// </summary>
public sealed class IdxArray
{
    private readonly byte[] _data;

    /// <summary>Wraps stored big-endian element bytes; their length must match the shape and type.</summary>
    public IdxArray(IdxType type, IReadOnlyList<int> shape, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        long elements = 1;
        foreach (var d in shape)
        {
            elements *= d;
        }

        if (elements * ElementSize(type) != data.Length)
        {
            throw new ArgumentException($"Shape ({string.Join(", ", shape)}) of {type} needs {elements * ElementSize(type)} bytes, got {data.Length}.", nameof(data));
        }

        Type = type;
        Shape = shape;
        Length = elements;
        _data = data;
    }

    /// <summary>Element type.</summary>
    public IdxType Type { get; }

    /// <summary>Dimensions, outermost first.</summary>
    public IReadOnlyList<int> Shape { get; }

    /// <summary>Element count.</summary>
    public long Length { get; }

    /// <summary>Element i (every IDX type fits a double exactly).</summary>
    public double this[long i]
    {
        get
        {
            var d = _data.AsSpan((int)(i * ElementSize(Type)));
            return Type switch
            {
                IdxType.UInt8 => d[0],
                IdxType.Int8 => (sbyte)d[0],
                IdxType.Int16 => BinaryPrimitives.ReadInt16BigEndian(d),
                IdxType.Int32 => BinaryPrimitives.ReadInt32BigEndian(d),
                IdxType.Float32 => BinaryPrimitives.ReadSingleBigEndian(d),
                _ => BinaryPrimitives.ReadDoubleBigEndian(d),
            };
        }
    }

    /// <summary>An array from values (each must fit the type), big-endian encoded.</summary>
    public static IdxArray FromValues(IdxType type, IReadOnlyList<int> shape, IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        int size = ElementSize(type);
        var data = new byte[values.Count * size];
        for (var i = 0; i < values.Count; i++)
        {
            var d = data.AsSpan(i * size);
            double v = values[i];
            switch (type)
            {
                case IdxType.UInt8:
                    d[0] = checked((byte)v);
                    break;
                case IdxType.Int8:
                    d[0] = (byte)checked((sbyte)v);
                    break;
                case IdxType.Int16:
                    BinaryPrimitives.WriteInt16BigEndian(d, checked((short)v));
                    break;
                case IdxType.Int32:
                    BinaryPrimitives.WriteInt32BigEndian(d, checked((int)v));
                    break;
                case IdxType.Float32:
                    BinaryPrimitives.WriteSingleBigEndian(d, (float)v);
                    break;
                default:
                    BinaryPrimitives.WriteDoubleBigEndian(d, v);
                    break;
            }
        }

        return new IdxArray(type, shape, data);
    }

    /// <summary>Elements [start, start + count) as floats divided by <paramref name="divisor"/> (255 scales bytes to [0, 1]).</summary>
    public float[] ToFloat(float divisor, long start, int count)
    {
        var result = new float[count];
        for (var i = 0; i < count; i++)
        {
            result[i] = (float)this[start + i] / divisor;
        }

        return result;
    }

    /// <summary>The stored big-endian element bytes.</summary>
    public ReadOnlySpan<byte> RawData => _data;

    /// <summary>Bytes per element of a type.</summary>
    public static int ElementSize(IdxType type) => type switch
    {
        IdxType.UInt8 or IdxType.Int8 => 1,
        IdxType.Int16 => 2,
        IdxType.Int32 or IdxType.Float32 => 4,
        IdxType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown IDX type."),
    };
}
