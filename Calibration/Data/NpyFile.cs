using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using ILGPUInt8.Calibration.IO;

namespace ILGPUInt8.Calibration.Data;

/// <summary>
/// A small reader and writer of NumPy's .npy format (versions 1.0, 2.0 and 3.0): the magic "\x93NUMPY", a version,
/// a little-endian header length (2 bytes in 1.0, 4 bytes after), a Python dict literal
/// <c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (2, 3), }</c> padded to a multiple of 64 bytes, then the
/// raw elements. Supported: float16, float32 and float64 little-endian ('&lt;f2', '&lt;f4', '&lt;f8'), uint8 ('|u1'), int8 ('|i1'), int32 and
/// int64 little-endian ('&lt;i4', '&lt;i8'), C order. Anything else
/// (big-endian, Fortran order, other types, truncated or over-long data) is rejected with a
/// <see cref="InvalidDataException"/> naming the file and the problem. Writes version 1.0.
/// </summary>
public static partial class NpyFile
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads a .npy file.</summary>
    public static NpyArray Read(string path)
    {
        using var stream = File.OpenRead(path);
        return Read(stream, path);
    }

    /// <summary>Reads a .npy stream; <paramref name="source"/> names it in error messages.</summary>
    public static NpyArray Read(Stream stream, string source = "stream")
    {
        ArgumentNullException.ThrowIfNull(stream);
        var (dtype, shape) = ReadHeader(stream, source);
        long elements = 1;
        foreach (var d in shape)
        {
            elements *= d;
        }

        int itemSize = NpyArray.ItemSize(dtype);
        if (elements * itemSize > Array.MaxLength)
        {
            throw Error(source, $"shape ({string.Join(", ", shape)}) is too large to read into one array");
        }

        var bytes = new byte[elements * itemSize];
        int read = stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
        if (read < bytes.Length)
        {
            throw Error(source, $"truncated: shape ({string.Join(", ", shape)}) needs {bytes.Length} bytes of data, found {read}");
        }

        if (stream.ReadByte() >= 0)
        {
            throw Error(source, $"extra bytes after the {bytes.Length} bytes of data of shape ({string.Join(", ", shape)})");
        }

        return dtype switch
        {
            NpyDType.Float32 => new NpyArray(MemoryMarshal.Cast<byte, float>(bytes).ToArray(), shape),
            NpyDType.UInt8 => new NpyArray(bytes, shape),
            NpyDType.Int8 => new NpyArray(MemoryMarshal.Cast<byte, sbyte>(bytes).ToArray(), shape),
            NpyDType.Int32 => new NpyArray(MemoryMarshal.Cast<byte, int>(bytes).ToArray(), shape),
            NpyDType.Int64 => new NpyArray(MemoryMarshal.Cast<byte, long>(bytes).ToArray(), shape),
            NpyDType.Float16 => new NpyArray(MemoryMarshal.Cast<byte, Half>(bytes).ToArray(), shape),
            _ => new NpyArray(MemoryMarshal.Cast<byte, double>(bytes).ToArray(), shape),
        };
    }

    /// <summary>Reads only the header of a .npy file: element type and shape.</summary>
    public static (NpyDType DType, int[] Shape) ReadHeader(string path)
    {
        using var stream = File.OpenRead(path);
        return ReadHeader(stream, path);
    }

    /// <summary>Writes <paramref name="array"/> as a version 1.0 .npy file.</summary>
    public static void Write(string path, NpyArray array)
    {
        AtomicFile.Write(path, stream => Write(stream, array));
    }

    /// <summary>Writes <paramref name="array"/> as version 1.0 .npy to a stream.</summary>
    public static void Write(Stream stream, NpyArray array)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(array);
        string descr = array.DType switch
        {
            NpyDType.Float32 => "<f4",
            NpyDType.UInt8 => "|u1",
            NpyDType.Int8 => "|i1",
            NpyDType.Int32 => "<i4",
            NpyDType.Int64 => "<i8",
            NpyDType.Float16 => "<f2",
            _ => "<f8",
        };
        string shape = array.Shape.Count == 1 ? $"({array.Shape[0]},)" : $"({string.Join(", ", array.Shape)})";
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}";
        // Total = magic 6 + version 2 + length 2 + header (dict, spaces, '\n') ≡ 0 mod 64.
        int headerLength = dict.Length + 1;
        headerLength += (64 - ((10 + headerLength) % 64)) % 64;
        var header = dict.PadRight(headerLength - 1) + "\n";
        stream.Write(Magic);
        stream.WriteByte(1);
        stream.WriteByte(0);
        Span<byte> length = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)headerLength);
        stream.Write(length);
        stream.Write(Encoding.ASCII.GetBytes(header));
        switch (array.DType)
        {
            case NpyDType.Float32:
                stream.Write(MemoryMarshal.AsBytes(((float[])array.Data).AsSpan()));
                break;
            case NpyDType.UInt8:
                stream.Write((byte[])array.Data);
                break;
            case NpyDType.Int8:
                stream.Write(MemoryMarshal.AsBytes(((sbyte[])array.Data).AsSpan()));
                break;
            case NpyDType.Int32:
                stream.Write(MemoryMarshal.AsBytes(((int[])array.Data).AsSpan()));
                break;
            case NpyDType.Int64:
                stream.Write(MemoryMarshal.AsBytes(((long[])array.Data).AsSpan()));
                break;
            case NpyDType.Float16:
                stream.Write(MemoryMarshal.AsBytes(((Half[])array.Data).AsSpan()));
                break;
            default:
                stream.Write(MemoryMarshal.AsBytes(((double[])array.Data).AsSpan()));
                break;
        }
    }

    private static (NpyDType DType, int[] Shape) ReadHeader(Stream stream, string source)
    {
        Span<byte> prefix = stackalloc byte[8];
        if (stream.ReadAtLeast(prefix, 8, throwOnEndOfStream: false) < 8 || !prefix[..6].SequenceEqual(Magic))
        {
            throw Error(source, "not a .npy file (the magic \\x93NUMPY is missing)");
        }

        int major = prefix[6];
        int headerLength;
        if (major == 1)
        {
            Span<byte> len = stackalloc byte[2];
            headerLength = stream.ReadAtLeast(len, 2, throwOnEndOfStream: false) == 2 ? BinaryPrimitives.ReadUInt16LittleEndian(len) : -1;
        }
        else if (major is 2 or 3)
        {
            Span<byte> len = stackalloc byte[4];
            headerLength = stream.ReadAtLeast(len, 4, throwOnEndOfStream: false) == 4 ? (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(len), int.MaxValue) : -1;
        }
        else
        {
            throw Error(source, $"unsupported .npy version {major}.{prefix[7]} (1.0, 2.0 and 3.0 are read)");
        }

        if (headerLength < 0 || headerLength > 1 << 20)
        {
            throw Error(source, "the header length is missing or implausible");
        }

        var headerBytes = new byte[headerLength];
        if (stream.ReadAtLeast(headerBytes, headerLength, throwOnEndOfStream: false) < headerLength)
        {
            throw Error(source, $"truncated header (expected {headerLength} bytes)");
        }

        string header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(headerBytes);
        return (ParseDescr(header, source), ParseShape(header, source));
    }

    private static NpyDType ParseDescr(string header, string source)
    {
        if (FortranPattern().Match(header) is not { Success: true } fortran)
        {
            throw Error(source, $"the header has no 'fortran_order': {header.Trim()}");
        }

        if (fortran.Groups[1].Value == "True")
        {
            throw Error(source, "Fortran-order arrays are not supported (only C order)");
        }

        if (DescrPattern().Match(header) is not { Success: true } descr)
        {
            throw Error(source, $"the header has no 'descr': {header.Trim()}");
        }

        return descr.Groups[1].Value switch
        {
            "<f4" => NpyDType.Float32,
            "|u1" or "<u1" or ">u1" or "u1" => NpyDType.UInt8,
            "|i1" or "<i1" or ">i1" or "i1" => NpyDType.Int8,
            "<i4" => NpyDType.Int32,
            "<i8" => NpyDType.Int64,
            "<f8" => NpyDType.Float64,
            "<f2" => NpyDType.Float16,
            ">f2" or ">f4" or ">f8" or ">i4" or ">i8" => throw Error(source, $"big-endian '{descr.Groups[1].Value}' is not supported (only little-endian)"),
            var other => throw Error(source, $"element type '{other}' is not supported (only '<f2', '<f4', '<f8', '|u1', '|i1', '<i4', '<i8')"),
        };
    }

    private static int[] ParseShape(string header, string source)
    {
        if (ShapePattern().Match(header) is not { Success: true } match)
        {
            throw Error(source, $"the header has no 'shape': {header.Trim()}");
        }

        var parts = match.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var shape = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i].TrimEnd('L'), NumberStyles.None, CultureInfo.InvariantCulture, out shape[i]))
            {
                throw Error(source, $"shape dimension '{parts[i]}' is not a non-negative integer");
            }
        }

        return shape;
    }

    private static InvalidDataException Error(string source, string problem) => new($"{source}: {problem}.");

    [GeneratedRegex(@"['""]descr['""]\s*:\s*['""]([^'""]*)['""]")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"['""]fortran_order['""]\s*:\s*(True|False)")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"['""]shape['""]\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
