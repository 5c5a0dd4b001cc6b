using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using ILGPUInt8.Calibration.Data;

namespace ILGPUInt8.Calibration.Tables;

/// <summary>SHA-256 hashes that identify a model and a calibration data set.</summary>
public static class Hashing
{
    /// <summary>Lower-case hex SHA-256 of bytes.</summary>
    public static string Sha256Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Lower-case hex SHA-256 of a file (e.g. the ONNX model).</summary>
    public static string Sha256File(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>SHA-256 of one batch: for each input in ordinal name order, its name, shape and float bytes.</summary>
    public static byte[] BatchHash(CalibrationBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (name, tensor) in batch.Inputs.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes($"{name}{tensor}\n"));
            hash.AppendData(MemoryMarshal.AsBytes(tensor.Data.AsSpan()));
        }

        return hash.GetHashAndReset();
    }

    /// <summary>
    /// The data set's hash, independent of batch order like the histograms: SHA-256 over the batch hashes sorted
    /// bytewise.
    /// </summary>
    public static string DataHash(IEnumerable<byte[]> batchHashes)
    {
        ArgumentNullException.ThrowIfNull(batchHashes);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var h in batchHashes.Order(Comparer<byte[]>.Create((a, b) => a.AsSpan().SequenceCompareTo(b))))
        {
            hash.AppendData(h);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
