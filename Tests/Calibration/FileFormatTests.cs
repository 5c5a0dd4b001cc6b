using System.Buffers.Binary;
using ILGPUInt8.Calibration.Data;
using Xunit;

namespace ILGPUInt8.Tests.Calibration;

public sealed class FileFormatTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("calib-files-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Npy_round_trips_float_uint8_int8_int32_int64_float64()
    {
        var f = new NpyArray([1.5f, -2f, float.NaN, 0f, 3e-39f, 7f], 2, 3);
        var u = new NpyArray(new byte[] { 0, 1, 255 }, 3);
        var s = new NpyArray(new sbyte[] { -128, 0, 127, 5 }, 2, 1, 2);
        var i4 = new NpyArray(new[] { int.MinValue, 0, 9, int.MaxValue }, 4);
        var i8 = new NpyArray(new[] { -3L, 0L, 9L, 1L << 40 }, 2, 2);
        var f8 = new NpyArray(new[] { 0.5, -1e300, 9.0 }, 3);
        var f2 = new NpyArray(new[] { (Half)0.5f, Half.MaxValue, Half.Epsilon, Half.NegativeInfinity, (Half)(-0f), (Half)(-3.25f) }, 2, 3);
        foreach (var (name, array) in new[] { ("f.npy", f), ("u.npy", u), ("s.npy", s), ("i4.npy", i4), ("i8.npy", i8), ("f8.npy", f8), ("f2.npy", f2) })
        {
            var path = Path.Combine(_dir, name);
            NpyFile.Write(path, array);
            Assert.Equal(0, (new FileInfo(path).Length - (array.Length * NpyArray.ItemSize(array.DType))) % 64);
            var read = NpyFile.Read(path);
            Assert.Equal(array.DType, read.DType);
            Assert.Equal(array.Shape, read.Shape);
            Assert.Equal(array.ToFloat(), read.ToFloat());
        }

        Assert.Equal([0f, 1f, 255f], NpyFile.Read(Path.Combine(_dir, "u.npy")).ToFloat());
        Assert.Equal([-128f, 0f, 127f, 5f], NpyFile.Read(Path.Combine(_dir, "s.npy")).ToFloat());
        Assert.Equal((long[])i8.Data, (long[])NpyFile.Read(Path.Combine(_dir, "i8.npy")).Data);
        Assert.Equal((int[])i4.Data, (int[])NpyFile.Read(Path.Combine(_dir, "i4.npy")).Data);
        Assert.Equal((double[])f8.Data, (double[])NpyFile.Read(Path.Combine(_dir, "f8.npy")).Data);
        Assert.Equal((Half[])f2.Data, (Half[])NpyFile.Read(Path.Combine(_dir, "f2.npy")).Data);
        Assert.Equal([0.5f, 65504f, 5.9604645E-08f, float.NegativeInfinity, -0f, -3.25f], NpyFile.Read(Path.Combine(_dir, "f2.npy")).ToFloat());
    }

    [Fact]
    public void Npy_reads_a_file_as_numpy_writes_it()
    {
        // np.save of np.arange(3, dtype='<f4'): version 1.0, header padded to 64 bytes in all.
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }".PadRight(117) + "\n";
        var bytes = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, 118, 0 };
        bytes.AddRange(header.Select(c => (byte)c));
        foreach (var v in new[] { 0f, 1f, 2f })
        {
            bytes.AddRange(BitConverter.GetBytes(v));
        }

        var array = NpyFile.Read(new MemoryStream([.. bytes]));
        Assert.Equal([3], array.Shape);
        Assert.Equal([0f, 1f, 2f], array.ToFloat());
    }

    [Theory]
    [InlineData("'descr': '>f4'", "big-endian")]
    [InlineData("'descr': '<c8'", "'<c8' is not supported")]
    [InlineData("'descr': '>f2'", "big-endian")]
    [InlineData("'descr': '>i8'", "big-endian")]
    [InlineData("'fortran_order': True", "Fortran")]
    [InlineData("truncate", "truncated")]
    [InlineData("extra", "extra bytes")]
    [InlineData("magic", "magic")]
    [InlineData("'shape': (2, x)", "'x'")]
    public void Corrupt_npy_files_are_rejected_clearly(string corruption, string expected)
    {
        var path = Path.Combine(_dir, "bad.npy");
        NpyFile.Write(path, new NpyArray([1f, 2f, 3f, 4f], 2, 2));
        var bytes = File.ReadAllBytes(path).ToList();
        string text = new(bytes.Select(b => (char)b).ToArray());
        switch (corruption)
        {
            case "truncate":
                bytes.RemoveRange(bytes.Count - 3, 3);
                break;
            case "extra":
                bytes.Add(0);
                break;
            case "magic":
                bytes[1] = (byte)'X';
                break;
            default:
                string original = corruption.StartsWith("'descr'", StringComparison.Ordinal) ? "'descr': '<f4'"
                    : corruption.StartsWith("'fortran", StringComparison.Ordinal) ? "'fortran_order': False" : "'shape': (2, 2)";
                text = text.Replace(original, corruption.PadRight(original.Length), StringComparison.Ordinal);
                bytes = [.. text.Select(c => (byte)c)];
                break;
        }

        File.WriteAllBytes(path, [.. bytes]);
        var ex = Assert.Throws<InvalidDataException>(() => NpyFile.Read(path));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Contains("bad.npy", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Npy_folder_rebatches_samples_across_files()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_dir, "npy")).FullName;
        // Files of 2, 1 and 4 samples of shape (1, 2): 7 samples → batches of 3, 3, 1.
        int next = 0;
        foreach (var (file, samples) in new[] { ("a.npy", 2), ("b.npy", 1), ("c.npy", 4) })
        {
            var data = Enumerable.Range(next, samples * 2).Select(i => (float)i).ToArray();
            next += samples * 2;
            NpyFile.Write(Path.Combine(folder, file), new NpyArray(data, samples, 1, 2));
        }

        var source = new NpyFolderDataSource(folder, batchSize: 3, inputName: "x", scale: 0.5f);
        Assert.Equal(3, source.BatchCount);
        var batches = source.Batches().ToList();
        Assert.Equal([3, 3, 1], batches.Select(b => b.Size));
        Assert.Equal([3, 1, 2], batches[0].Inputs["x"].Shape);
        Assert.Equal(Enumerable.Range(0, 14).Select(i => i * 0.5f), batches.SelectMany(b => b.Inputs["x"].Data));
        Assert.Equal(3, source.Batches().Count()); // rewinds
    }

    [Fact]
    public void Npy_folder_with_inconsistent_samples_is_rejected()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_dir, "mixed")).FullName;
        NpyFile.Write(Path.Combine(folder, "a.npy"), new NpyArray(new float[6], 1, 6));
        NpyFile.Write(Path.Combine(folder, "b.npy"), new NpyArray(new float[6], 1, 2, 3));
        var ex = Assert.Throws<InvalidDataException>(() => new NpyFolderDataSource(folder, 2));
        Assert.Contains("b.npy", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Idx_round_trips_and_serves_scaled_images_with_labels(bool gzip)
    {
        string ext = gzip ? ".gz" : string.Empty;
        var images = Path.Combine(_dir, "images-idx3-ubyte" + ext);
        var labels = Path.Combine(_dir, "labels-idx1-ubyte" + ext);
        var pixels = Enumerable.Range(0, 5 * 3 * 2).Select(i => (double)(i * 8 % 256)).ToArray();
        IdxFile.Write(images, IdxArray.FromValues(IdxType.UInt8, [5, 3, 2], pixels));
        IdxFile.Write(labels, IdxArray.FromValues(IdxType.UInt8, [5], [3, 1, 4, 1, 5]));

        var read = IdxFile.Read(images);
        Assert.Equal([5, 3, 2], read.Shape);
        Assert.Equal(pixels[7], read[7]);

        var source = new IdxDataSource(images, labels, batchSize: 2, inputName: "image");
        var batches = source.Batches().ToList();
        Assert.Equal([2, 2, 1], batches.Select(b => b.Size));
        Assert.Equal([2, 1, 3, 2], batches[0].Inputs["image"].Shape);
        Assert.Equal(pixels.Select(p => (float)p / 255f), batches.SelectMany(b => b.Inputs["image"].Data));
        Assert.Equal([3, 1, 4, 1, 5], batches.SelectMany(b => b.Labels!));
        Assert.Equal(1, new IdxDataSource(images, null, 2, maxSamples: 2).BatchCount);
    }

    [Fact]
    public void Idx_other_types_round_trip()
    {
        var path = Path.Combine(_dir, "f.idx");
        IdxFile.Write(path, IdxArray.FromValues(IdxType.Float32, [2, 2], [1.5, -2, 0.25, 1e10]));
        var read = IdxFile.Read(path);
        Assert.Equal(IdxType.Float32, read.Type);
        Assert.Equal(-2, read[1]);
        IdxFile.Write(path, IdxArray.FromValues(IdxType.Int16, [3], [-300, 0, 300]));
        Assert.Equal(-300, IdxFile.Read(path)[0]);
    }

    [Theory]
    [InlineData("magic", "not an IDX file")]
    [InlineData("type", "unknown IDX type code 0x07")]
    [InlineData("truncate", "truncated")]
    [InlineData("extra", "extra bytes")]
    [InlineData("dims", "header ends early")]
    [InlineData("gzip", "corrupt gzip")]
    public void Corrupt_idx_files_are_rejected_clearly(string corruption, string expected)
    {
        var path = Path.Combine(_dir, "bad-idx");
        IdxFile.Write(path, IdxArray.FromValues(IdxType.UInt8, [2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]));
        var bytes = File.ReadAllBytes(path).ToList();
        switch (corruption)
        {
            case "magic":
                bytes[0] = 1;
                break;
            case "type":
                bytes[2] = 7;
                break;
            case "truncate":
                bytes.RemoveAt(bytes.Count - 1);
                break;
            case "extra":
                bytes.Add(9);
                break;
            case "dims":
                bytes[3] = 50;
                break;
            default:
                bytes = [0x1f, 0x8b, 8, 0, 1, 2, 3];
                break;
        }

        File.WriteAllBytes(path, [.. bytes]);
        var ex = Assert.Throws<InvalidDataException>(() => IdxFile.Read(path));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Contains("bad-idx", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Idx_labels_must_match_the_images()
    {
        var images = Path.Combine(_dir, "i");
        var labels = Path.Combine(_dir, "l");
        IdxFile.Write(images, IdxArray.FromValues(IdxType.UInt8, [2, 1, 1], [1, 2]));
        IdxFile.Write(labels, IdxArray.FromValues(IdxType.UInt8, [3], [1, 2, 3]));
        var ex = Assert.Throws<InvalidDataException>(() => new IdxDataSource(images, labels, 1));
        Assert.Contains("do not match", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Big_endian_dimensions_are_read()
    {
        var word = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, 3);
        byte[] bytes = [0, 0, 8, 1, .. word, 7, 8, 9];
        var read = IdxFile.Read(new MemoryStream(bytes));
        Assert.Equal([3], read.Shape);
        Assert.Equal(9, read[2]);
    }
}
