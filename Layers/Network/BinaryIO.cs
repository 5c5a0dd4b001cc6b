using ILGPUInt8.Kernels.Ops;

namespace ILGPUInt8.Layers.Network;

/// <summary>Array and struct helpers of the engine file format (little-endian, lengths as int32, −1 for null).</summary>
internal static class BinaryIO
{
    /// <summary>Largest array an engine file may declare (guards against corrupt lengths).</summary>
    public const int MaxArrayLength = 1 << 28;

    public static void WriteArray(this BinaryWriter w, float[]? values)
    {
        w.Write(values?.Length ?? -1);
        if (values is not null)
        {
            foreach (var v in values)
            {
                w.Write(v);
            }
        }
    }

    public static float[]? ReadFloatArray(this BinaryReader r)
    {
        var n = ReadLength(r);
        if (n < 0)
        {
            return null;
        }

        var values = new float[n];
        for (var i = 0; i < n; i++)
        {
            values[i] = r.ReadSingle();
        }

        return values;
    }

    public static void WriteArray(this BinaryWriter w, int[] values)
    {
        w.Write(values.Length);
        foreach (var v in values)
        {
            w.Write(v);
        }
    }

    public static int[] ReadIntArray(this BinaryReader r)
    {
        var n = ReadLength(r);
        var values = new int[Math.Max(n, 0)];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = r.ReadInt32();
        }

        return values;
    }

    public static void WriteArray(this BinaryWriter w, string[] values)
    {
        w.Write(values.Length);
        foreach (var v in values)
        {
            w.Write(v);
        }
    }

    public static string[] ReadStringArray(this BinaryReader r)
    {
        var n = ReadLength(r);
        var values = new string[Math.Max(n, 0)];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = r.ReadString();
        }

        return values;
    }

    public static void Write(this BinaryWriter w, Size2 s)
    {
        w.Write(s.H);
        w.Write(s.W);
    }

    public static Size2 ReadSize2(this BinaryReader r) => new(r.ReadInt32(), r.ReadInt32());

    public static void Write(this BinaryWriter w, TensorDims d)
    {
        w.Write(d.C);
        w.Write(d.H);
        w.Write(d.W);
    }

    public static TensorDims ReadDims(this BinaryReader r) => new(r.ReadInt32(), r.ReadInt32(), r.ReadInt32());

    public static void Write(this BinaryWriter w, ActivationSpec a)
    {
        w.Write((int)a.Kind);
        w.Write(a.Alpha);
        w.Write(a.Beta);
    }

    public static ActivationSpec ReadActivation(this BinaryReader r)
    {
        var kind = (ActivationKind)r.ReadInt32();
        var spec = new ActivationSpec(kind, r.ReadSingle(), r.ReadSingle());
        spec.Validate("activation");
        return spec;
    }

    public static T ReadEnum<T>(this BinaryReader r)
        where T : struct, Enum
    {
        var v = r.ReadInt32();
        var e = (T)(object)v;
        return Enum.IsDefined(e) ? e : throw new InvalidDataException($"Value {v} is not a {typeof(T).Name}.");
    }

    private static int ReadLength(BinaryReader r)
    {
        var n = r.ReadInt32();
        if (n < -1 || n > MaxArrayLength || (r.BaseStream.CanSeek && n > 0 && (long)n > r.BaseStream.Length - r.BaseStream.Position))
        {
            throw new InvalidDataException($"Array length {n} is impossible here.");
        }

        return n;
    }
}
