using System.Buffers.Binary;
using System.IO.Compression;
using ILGPUInt8.Calibration.IO;

namespace ILGPUInt8.Calibration.Data;

/// <summary>
/// Reader and writer of the IDX format of MNIST / Fashion-MNIST, optionally gzip-compressed (detected by the gzip
/// magic 1f 8b): two zero bytes, a type code, the number of dimensions, each dimension as a big-endian int32, then the
/// elements big-endian in C order. Bad magic, unknown type codes, truncated or over-long data are rejected with an
/// <see cref="InvalidDataException"/> naming the file.
/// </summary>
public static class IdxFile
{
    /// <summary>Reads an IDX file (plain or .gz).</summary>
    public static IdxArray Read(string path)
    {
        using var file = File.OpenRead(path);
        return Read(file, path);
    }

    /// <summary>Reads an IDX stream (plain or gzip); <paramref name="source"/> names it in errors.</summary>
    public static IdxArray Read(Stream stream, string source = "stream")
    {
        ArgumentNullException.ThrowIfNull(stream);
        var bytes = ReadAll(stream, source);
        if (bytes.Length < 4 || bytes[0] != 0 || bytes[1] != 0)
        {
            throw Error(source, "not an IDX file (it must start with two zero bytes, a type code and a dimension count)");
        }

        var type = (IdxType)bytes[2];
        if (!Enum.IsDefined(type))
        {
            throw Error(source, $"unknown IDX type code 0x{bytes[2]:x2} (0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e are defined)");
        }

        int size = IdxArray.ElementSize(type);
        int dims = bytes[3];
        if (bytes.Length < 4 + (4 * dims))
        {
            throw Error(source, $"truncated: {dims} dimensions announced, the header ends early");
        }

        var shape = new int[dims];
        long elements = 1;
        for (var d = 0; d < dims; d++)
        {
            shape[d] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + (4 * d)));
            if (shape[d] < 0)
            {
                throw Error(source, $"dimension {d} is negative ({shape[d]})");
            }

            elements *= shape[d];
        }

        long offset = 4 + (4 * dims);
        long expected = elements * size;
        long found = bytes.Length - offset;
        if (found < expected)
        {
            throw Error(source, $"truncated: shape ({string.Join(", ", shape)}) of {type} needs {expected} bytes of data, found {found}");
        }

        if (found > expected)
        {
            throw Error(source, $"{found - expected} extra bytes after the data of shape ({string.Join(", ", shape)})");
        }

        return new IdxArray(type, shape, bytes.AsSpan((int)offset).ToArray());
    }

    /// <summary>Writes an IDX file, gzip-compressed when the path ends in .gz.</summary>
    public static void Write(string path, IdxArray array)
    {
        ArgumentNullException.ThrowIfNull(array);
        AtomicFile.Write(path, file =>
        {
            if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
            {
                using var gzip = new GZipStream(file, CompressionLevel.Fastest, leaveOpen: true);
                Write(gzip, array);
            }
            else
            {
                Write(file, array);
            }
        });
    }

    /// <summary>Writes an IDX array to a stream (uncompressed).</summary>
    public static void Write(Stream stream, IdxArray array)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(array);
        stream.Write([0, 0, (byte)array.Type, (byte)array.Shape.Count]);
        Span<byte> word = stackalloc byte[8];
        foreach (var d in array.Shape)
        {
            BinaryPrimitives.WriteInt32BigEndian(word, d);
            stream.Write(word[..4]);
        }

        stream.Write(array.RawData);
    }

    private static byte[] ReadAll(Stream stream, string source)
    {
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        var raw = memory.ToArray();
        if (raw.Length >= 2 && raw[0] == 0x1f && raw[1] == 0x8b)
        {
            try
            {
                using var gzip = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress);
                using var unpacked = new MemoryStream();
                gzip.CopyTo(unpacked);
                return unpacked.Length > 0 ? unpacked.ToArray() : throw new InvalidDataException("no data could be decompressed");
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException)
            {
                throw new InvalidDataException($"{source}: corrupt gzip data ({ex.Message}).", ex);
            }
        }

        return raw;
    }

    private static InvalidDataException Error(string source, string problem) => new($"{source}: {problem}.");
}
