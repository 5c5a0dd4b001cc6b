using System.Buffers.Binary;
using System.IO.Compression;

namespace ILGPUInt8.Layers.Data;

/// <summary>
/// Reads the IDX format of MNIST / Fashion-MNIST (optionally gzip-compressed): a big-endian magic
/// 0x0000_08_nd (unsigned bytes, nd dimensions), nd big-endian int32 sizes, then the bytes in C order.
/// </summary>
public static class IdxFile
{
    /// <summary>Largest payload accepted (guards against corrupt headers).</summary>
    public const long MaxBytes = 1L << 30;

    /// <summary>Reads an unsigned-byte IDX file (".gz" names are decompressed).</summary>
    /// <param name="path">The file.</param>
    /// <returns>The dimensions and the bytes.</returns>
    public static (int[] Dims, byte[] Data) Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using Stream file = File.OpenRead(path);
        using Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
        Span<byte> header = stackalloc byte[4];
        stream.ReadExactly(header);
        if (header[0] != 0 || header[1] != 0 || header[2] != 0x08 || header[3] is 0 or > 4)
        {
            throw new InvalidDataException($"'{path}' is not an unsigned-byte IDX file (magic {Convert.ToHexString(header)}).");
        }
        var dims = new int[header[3]];
        long count = 1;
        for (int i = 0; i < dims.Length; i++)
        {
            stream.ReadExactly(header);
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(header);
            if (dims[i] < 0)
            {
                throw new InvalidDataException($"'{path}': dimension {i} is negative.");
            }
            count *= dims[i];
            if (count > MaxBytes)
            {
                throw new InvalidDataException($"'{path}': the header declares more than {MaxBytes} bytes.");
            }
        }
        var data = new byte[count];
        stream.ReadExactly(data);
        return (dims, data);
    }
}
