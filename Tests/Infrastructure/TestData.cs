namespace ILGPUInt8.Tests.Infrastructure;

/// <summary>Deterministic random inputs with the int8 edge values mixed in; never all zero.</summary>
public static class TestData
{
    /// <summary>Edge values every int8 input contains.</summary>
    public static readonly sbyte[] Int8Edges = [-128, -127, -1, 0, 1, 126, 127];

    /// <summary>Random int8 values in [lo, hi] with the edges (within range) placed at the start.</summary>
    public static sbyte[] Int8(int length, int seed, int lo = -128, int hi = 127)
    {
        var random = new Random(seed);
        var data = new sbyte[length];
        for (var i = 0; i < length; i++)
        {
            data[i] = (sbyte)random.Next(lo, hi + 1);
        }

        var e = 0;
        foreach (var edge in Int8Edges)
        {
            if (edge >= lo && edge <= hi && e < length)
            {
                data[e++] = edge;
            }
        }

        EnsureNotAllZero(data);
        return data;
    }

    /// <summary>Random int32 values in [lo, hi).</summary>
    public static int[] Int32(int length, int seed, int lo, int hi)
    {
        var random = new Random(seed);
        var data = new int[length];
        for (var i = 0; i < length; i++)
        {
            data[i] = random.Next(lo, hi);
        }

        return data;
    }

    /// <summary>Random floats uniform in [-range, range).</summary>
    public static float[] Float(int length, int seed, float range = 1f)
    {
        var random = new Random(seed);
        var data = new float[length];
        for (var i = 0; i < length; i++)
        {
            data[i] = (float)((random.NextDouble() * 2 - 1) * range);
        }

        return data;
    }

    private static void EnsureNotAllZero(sbyte[] data)
    {
        if (data.Length > 0 && Array.TrueForAll(data, v => v == 0))
        {
            data[0] = 1;
        }
    }
}
