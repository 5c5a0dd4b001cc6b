using System.Text;
using ILGPUInt8.Calibration.Histograms;

namespace ILGPUInt8.Cluster.Results;

/// <summary>
/// Calibration pass 2 of one shard: every tensor's 2048-bin |x| histogram over the merged range, with its NaN and ±Inf
/// counts and batches. Binary: "ILGH1", tensor count, then per tensor name, amax bits, min bits, batches, NaN, Inf and
/// the 2048 counts (64-bit). Histograms of one tensor over the same range add exactly (<see cref="TensorHistogram.Merge"/>).
/// </summary>
public static class HistogramFile
{
    private const string Magic = "ILGH1";

    /// <summary>Writes the histograms.</summary>
    public static void Write(Stream stream, IReadOnlyList<TensorHistogram> histograms)
    {
        ArgumentNullException.ThrowIfNull(histograms);
        using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        w.Write(Magic);
        w.Write(histograms.Count);
        foreach (var h in histograms)
        {
            w.Write(h.Name);
            w.Write(BitConverter.SingleToInt32Bits(h.Amax));
            w.Write(BitConverter.SingleToInt32Bits(h.MinAbs));
            w.Write(h.Batches);
            w.Write(h.NaNCount);
            w.Write(h.InfCount);
            foreach (var c in h.Counts)
            {
                w.Write(c);
            }
        }
    }

    /// <summary>Reads a file <see cref="Write"/> made; anything else is an InvalidDataException naming it.</summary>
    public static IReadOnlyList<TensorHistogram> Read(string path)
    {
        try
        {
            using var r = new BinaryReader(File.OpenRead(path), Encoding.UTF8);
            if (r.ReadString() != Magic)
            {
                throw new InvalidDataException($"'{path}' is not a shard histogram file.");
            }

            var result = new TensorHistogram[r.ReadInt32()];
            for (var i = 0; i < result.Length; i++)
            {
                var name = r.ReadString();
                var amax = BitConverter.Int32BitsToSingle(r.ReadInt32());
                var minAbs = BitConverter.Int32BitsToSingle(r.ReadInt32());
                var batches = r.ReadInt32();
                var nan = r.ReadInt64();
                var inf = r.ReadInt64();
                var counts = new long[TensorHistogram.Bins];
                for (var b = 0; b < counts.Length; b++)
                {
                    counts[b] = r.ReadInt64();
                }

                result[i] = new TensorHistogram(name, amax, counts, minAbs, nan, inf, batches);
            }

            return result;
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException($"'{path}' is a truncated shard histogram file.", ex);
        }
    }

    /// <summary>Every shard's histograms summed per tensor, in the order of the first shard's tensors.</summary>
    public static IReadOnlyList<TensorHistogram> Merge(IEnumerable<IReadOnlyList<TensorHistogram>> shards) => HistogramMerge.Histograms(shards);
}
