namespace ILGPUInt8.Calibration.Data;

/// <summary>Element types the .npy reader and writer support.</summary>
public enum NpyDType
{
    /// <summary>'&lt;f4': little-endian IEEE float32.</summary>
    Float32,

    /// <summary>'|u1': unsigned bytes.</summary>
    UInt8,

    /// <summary>'|i1': signed bytes.</summary>
    Int8,

    /// <summary>'&lt;i4': little-endian int32.</summary>
    Int32,

    /// <summary>'&lt;i8': little-endian int64 (NumPy's default integer: labels).</summary>
    Int64,

    /// <summary>'&lt;f8': little-endian IEEE float64 (NumPy's default float).</summary>
    Float64,

    /// <summary>'&lt;f2': little-endian IEEE float16 (half: FP16 inputs and outputs).</summary>
    Float16,
}

/// <summary>An array read from or written to a .npy file: element type, C-order shape and the typed data.</summary>
public sealed class NpyArray
{
    private NpyArray(NpyDType dtype, int[] shape, Array data)
    {
        long elements = 1;
        foreach (var d in shape)
        {
            if (d < 0)
            {
                throw new ArgumentException($"Shape ({string.Join(", ", shape)}) has a negative dimension.", nameof(shape));
            }

            elements *= d;
        }

        if (elements != data.Length)
        {
            throw new ArgumentException($"Shape ({string.Join(", ", shape)}) holds {elements} elements but the data has {data.Length}.", nameof(data));
        }

        DType = dtype;
        Shape = shape;
        Data = data;
    }

    /// <summary>A float32 array.</summary>
    public NpyArray(float[] data, params int[] shape)
        : this(NpyDType.Float32, shape, data)
    {
    }

    /// <summary>A uint8 array.</summary>
    public NpyArray(byte[] data, params int[] shape)
        : this(NpyDType.UInt8, shape, data)
    {
    }

    /// <summary>An int8 array.</summary>
    public NpyArray(sbyte[] data, params int[] shape)
        : this(NpyDType.Int8, shape, data)
    {
    }

    /// <summary>An int32 array.</summary>
    public NpyArray(int[] data, params int[] shape)
        : this(NpyDType.Int32, shape, data)
    {
    }

    /// <summary>An int64 array.</summary>
    public NpyArray(long[] data, params int[] shape)
        : this(NpyDType.Int64, shape, data)
    {
    }

    /// <summary>A float64 array.</summary>
    public NpyArray(double[] data, params int[] shape)
        : this(NpyDType.Float64, shape, data)
    {
    }

    /// <summary>A float16 array.</summary>
    public NpyArray(Half[] data, params int[] shape)
        : this(NpyDType.Float16, shape, data)
    {
    }

    /// <summary>Bytes of one element.</summary>
    public static int ItemSize(NpyDType dtype) => dtype switch
    {
        NpyDType.UInt8 or NpyDType.Int8 => 1,
        NpyDType.Float16 => 2,
        NpyDType.Float32 or NpyDType.Int32 => 4,
        _ => 8,
    };

    /// <summary>Element type.</summary>
    public NpyDType DType { get; }

    /// <summary>Dimensions in C order (empty for a scalar).</summary>
    public IReadOnlyList<int> Shape { get; }

    /// <summary>The elements: float[], byte[], sbyte[], int[], long[], double[] or Half[] by <see cref="DType"/>.</summary>
    public Array Data { get; }

    /// <summary>Element count.</summary>
    public int Length => Data.Length;

    /// <summary>The elements as doubles (exact for every type but int64 beyond 2⁵³).</summary>
    public double[] ToDouble() => DType switch
    {
        NpyDType.Float32 => [.. ((float[])Data).Select(v => (double)v)],
        NpyDType.UInt8 => [.. ((byte[])Data).Select(v => (double)v)],
        NpyDType.Int8 => [.. ((sbyte[])Data).Select(v => (double)v)],
        NpyDType.Int32 => [.. ((int[])Data).Select(v => (double)v)],
        NpyDType.Int64 => [.. ((long[])Data).Select(v => (double)v)],
        NpyDType.Float16 => [.. ((Half[])Data).Select(v => (double)v)],
        _ => [.. (double[])Data],
    };

    /// <summary>The elements as floats, each multiplied by <paramref name="scale"/> (e.g. 1/255 for images).</summary>
    public float[] ToFloat(float scale = 1f)
    {
        var result = new float[Length];
        // Switch on DType, not on the array's type: the runtime lets a byte[] pass as sbyte[] and back.
        switch (DType)
        {
            case NpyDType.Float32:
                var f = (float[])Data;
                for (var i = 0; i < f.Length; i++)
                {
                    result[i] = f[i] * scale;
                }

                break;
            case NpyDType.UInt8:
                var u = (byte[])Data;
                for (var i = 0; i < u.Length; i++)
                {
                    result[i] = u[i] * scale;
                }

                break;
            case NpyDType.Int8:
                var s = (sbyte[])Data;
                for (var i = 0; i < s.Length; i++)
                {
                    result[i] = s[i] * scale;
                }

                break;
            default:
                var d = ToDouble();
                for (var i = 0; i < d.Length; i++)
                {
                    result[i] = (float)d[i] * scale;
                }

                break;
        }

        return result;
    }
}
