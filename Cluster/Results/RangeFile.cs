using System.Security.Cryptography;
using System.Text;
using ILGPUInt8.Calibration.Histograms;
using ILGPUInt8.Cluster.Jobs;

namespace ILGPUInt8.Cluster.Results;

/// <summary>
/// Calibration pass 1 of one shard: every tensor's finite |x| range (max and min, float bits kept exactly) in order of
/// first appearance, and the SHA-256 of every batch (the table's data hash is made of them, independent of order).
/// Binary: "ILGR1", tensor count, (name, amax bits, min bits) per tensor, batch count, 32 bytes per batch.
/// </summary>
public sealed record RangeFile(IReadOnlyList<TensorRange> Tensors, IReadOnlyList<byte[]> BatchHashes)
{
    private const string Magic = "ILGR1";

    /// <summary>Writes the file.</summary>
    public void Write(Stream stream)
    {
        using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        w.Write(Magic);
        w.Write(Tensors.Count);
        foreach (var t in Tensors)
        {
            w.Write(t.Name);
            w.Write(BitConverter.SingleToInt32Bits(t.Amax));
            w.Write(BitConverter.SingleToInt32Bits(t.MinAbs));
        }

        w.Write(BatchHashes.Count);
        foreach (var h in BatchHashes)
        {
            w.Write(h);
        }
    }

    /// <summary>Reads a file <see cref="Write"/> made; anything else is an InvalidDataException naming it.</summary>
    public static RangeFile Read(string path)
    {
        try
        {
            using var r = new BinaryReader(File.OpenRead(path), Encoding.UTF8);
            if (r.ReadString() != Magic)
            {
                throw new InvalidDataException($"'{path}' is not a shard range file.");
            }

            var tensors = new TensorRange[r.ReadInt32()];
            for (var i = 0; i < tensors.Length; i++)
            {
                tensors[i] = new TensorRange { Name = r.ReadString(), Amax = BitConverter.Int32BitsToSingle(r.ReadInt32()), MinAbs = BitConverter.Int32BitsToSingle(r.ReadInt32()) };
            }

            var hashes = new byte[r.ReadInt32()][];
            for (var i = 0; i < hashes.Length; i++)
            {
                hashes[i] = r.ReadBytes(32);
            }

            return new RangeFile(tensors, hashes);
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException($"'{path}' is a truncated shard range file.", ex);
        }
    }

    /// <summary>
    /// The ranges of all shards merged: amax = max, min = min per tensor (exact: max and min commute), tensors in the
    /// order of the first shard that saw them.
    /// </summary>
    public static IReadOnlyList<TensorRange> Merge(IEnumerable<RangeFile> shards)
    {
        ArgumentNullException.ThrowIfNull(shards);
        return [.. HistogramMerge.Ranges(shards.Select(s => s.Tensors.Select(t => new FiniteRange(t.Name, t.Amax, t.MinAbs))))
            .Select(r => new TensorRange { Name = r.Name, Amax = r.Amax, MinAbs = r.MinAbs })];
    }

    /// <summary>12 hex digits of SHA-256 over the merged ranges (names and bits): names the pass-2 folder they belong to.</summary>
    public static string Key(IReadOnlyList<TensorRange> ranges)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        var text = new StringBuilder();
        foreach (var t in ranges)
        {
            text.Append(t.Name).Append('\0').Append(BitConverter.SingleToInt32Bits(t.Amax)).Append(',').Append(BitConverter.SingleToInt32Bits(t.MinAbs)).Append('\n');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..12];
    }
}
