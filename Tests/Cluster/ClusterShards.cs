using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Tests.Onnx;

namespace ILGPUInt8.Tests.Cluster;

/// <summary>
/// 30 tiny Fashion-MNIST shards in a temp folder, <see cref="PerShard"/> shipped test images each: the even shards as IDX
/// image and label files, the odd ones as .npy files of normalized floats with NAME.labels.npy beside (both shard kinds).
/// </summary>
public sealed class ClusterShards : IDisposable
{
    /// <summary>Shards.</summary>
    public const int Count = 30;

    /// <summary>Images per shard (3 batches of 4: the last one short).</summary>
    public const int PerShard = 10;

    /// <summary>Samples per batch.</summary>
    public const int Batch = 4;

    /// <summary>Fashion-MNIST's normalization.</summary>
    public const float Mean = 0.2860f, Std = 0.3530f;

    public ClusterShards(int? corrupt = null)
    {
        Dir = Directory.CreateTempSubdirectory("ilgpu-int8-cluster-").FullName;
        Data = System.IO.Path.Combine(Dir, "shards");
        Directory.CreateDirectory(Data);
        var images = IdxFile.Read(System.IO.Path.Combine(OnnxFixtures.ModelsDir, "data", "fashion-t10k-3000-images.idx.gz"));
        var labels = IdxFile.Read(System.IO.Path.Combine(OnnxFixtures.ModelsDir, "data", "fashion-t10k-3000-labels.idx.gz"));
        const int pixels = 28 * 28;
        for (var s = 0; s < Count; s++)
        {
            var first = s * PerShard;
            var imageBytes = images.RawData.Slice(first * pixels, PerShard * pixels).ToArray();
            var labelBytes = labels.RawData.Slice(first, PerShard).ToArray();
            if (s % 2 == 0)
            {
                IdxFile.Write(System.IO.Path.Combine(Data, $"part-{s:D2}-images-idx3-ubyte"), new IdxArray(IdxType.UInt8, [PerShard, 28, 28], imageBytes));
                IdxFile.Write(System.IO.Path.Combine(Data, $"part-{s:D2}-labels-idx1-ubyte"), new IdxArray(IdxType.UInt8, [PerShard], labelBytes));
            }
            else
            {
                var x = imageBytes.Select(p => (p / 255f - Mean) / Std).ToArray();
                NpyFile.Write(System.IO.Path.Combine(Data, $"part-{s:D2}.npy"), new NpyArray(x, PerShard, 1, 28, 28));
                NpyFile.Write(System.IO.Path.Combine(Data, $"part-{s:D2}.labels.npy"), new NpyArray(labelBytes, PerShard));
            }

            if (s == corrupt)
            {
                // Bad data: a shard file cut short in its data (the header promises more than there is).
                var path = s % 2 == 0 ? System.IO.Path.Combine(Data, $"part-{s:D2}-images-idx3-ubyte") : System.IO.Path.Combine(Data, $"part-{s:D2}.npy");
                var bytes = File.ReadAllBytes(path);
                File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
            }
        }
    }

    /// <summary>The temp folder (deleted on dispose).</summary>
    public string Dir { get; }

    /// <summary>The shards folder (<c>--data</c>).</summary>
    public string Data { get; }

    /// <summary>A path in the temp folder.</summary>
    public string Path(string name) => System.IO.Path.Combine(Dir, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
