using System.Globalization;

namespace ILGPUInt8.Layers.Onnx;

/// <summary>Shape arithmetic shared by the mappers (batch at dimension 0, −1 when dynamic).</summary>
internal static class OnnxShapes
{
    /// <summary>The value a folded Shape tensor holds for a dynamic batch dimension.</summary>
    public const long BatchMarker = long.MinValue;

    public static string Format(IReadOnlyList<long> shape) =>
        "[" + string.Join(", ", shape.Select(d => d == ImportedTensor.DynamicBatch || d == BatchMarker ? "N" : d.ToString(CultureInfo.InvariantCulture))) + "]";

    /// <summary>Normalizes a possibly negative axis into [0, rank); an error naming the node otherwise.</summary>
    public static int Axis(OnnxNode node, long axis, int rank, string what = "axis")
    {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank)
        {
            throw node.Error($"{what} {axis} is out of range for rank {rank}.");
        }
        return (int)a;
    }

    /// <summary>Product of dims [from, to).</summary>
    public static long Product(IReadOnlyList<long> dims, int from = 0, int to = -1)
    {
        long p = 1;
        for (int i = from; i < (to < 0 ? dims.Count : to); i++)
        {
            p = checked(p * dims[i]);
        }
        return p;
    }

    /// <summary>
    /// Multidirectional (numpy) broadcast of two shapes. A dynamic batch (−1) broadcasts with 1 and with itself.
    /// </summary>
    public static long[] Broadcast(OnnxNode node, IReadOnlyList<long> a, IReadOnlyList<long> b)
    {
        int rank = Math.Max(a.Count, b.Count);
        var r = new long[rank];
        for (int i = 0; i < rank; i++)
        {
            long x = i - (rank - a.Count) >= 0 ? a[i - (rank - a.Count)] : 1;
            long y = i - (rank - b.Count) >= 0 ? b[i - (rank - b.Count)] : 1;
            r[i] = x == y ? x : x == 1 ? y : y == 1 ? x
                : throw node.Error($"shapes {Format(a)} and {Format(b)} do not broadcast.");
        }
        return r;
    }

    /// <summary>True when <paramref name="shape"/> starts with the dynamic batch.</summary>
    public static bool HasDynamicBatch(IReadOnlyList<long> shape) => shape.Count > 0 && shape[0] == ImportedTensor.DynamicBatch;
}
