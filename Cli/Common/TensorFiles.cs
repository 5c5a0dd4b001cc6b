using Google.Protobuf;
using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Calibration.IO;
using ILGPUInt8.Layers.Onnx;

namespace ILGPUInt8.Cli.Common;

/// <summary>A float tensor read from or written to a file: values in row-major order and the shape.</summary>
/// <param name="Data">Values.</param>
/// <param name="Shape">Dimensions (the first is the batch for network inputs and outputs).</param>
public sealed record FileTensor(float[] Data, int[] Shape);

/// <summary>
/// Tensors as NumPy <c>.npy</c> files or ONNX <c>TensorProto</c> <c>.pb</c> files (the format of the ONNX node tests:
/// dims = 1, data_type = 2 (FLOAT = 1, FLOAT16 = 10), name = 8, raw_data = 9 little-endian). Read: any numeric dtype,
/// float16 ('&lt;f2') included, as float (every half is a float). Written: float32, or float16 on request (each value
/// rounded to the nearest half, ties to even: .NET's <c>(Half)</c> cast, the rounding of the FP16 steps).
/// </summary>
public static class TensorFiles
{
    /// <summary>Reads a .npy (any numeric dtype, converted to float) or a .pb TensorProto.</summary>
    public static FileTensor Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Tensor file '{path}' not found.", path);
        }

        switch (Path.GetExtension(path).ToLowerInvariant())
        {
            case ".npy":
                var npy = NpyFile.Read(path);
                return new FileTensor(npy.ToFloat(), [.. npy.Shape]);
            case ".pb":
                OnnxTensor tensor;
                try
                {
                    tensor = OnnxModel.ParseTensor(File.ReadAllBytes(path));
                }
                catch (OnnxImportException ex)
                {
                    throw new InvalidDataException($"'{path}' is not an ONNX TensorProto: {ex.Message}", ex);
                }

                return new FileTensor(tensor.ToFloatArray(), tensor.DimsAsInt32());
            default:
                throw new CliUsageException($"'{path}': tensor files must be .npy (NumPy) or .pb (ONNX TensorProto).");
        }
    }

    /// <summary>
    /// Writes a float tensor as .npy or .pb (chosen by the extension), float32 or, with <paramref name="half"/>, float16
    /// ('&lt;f2', TensorProto FLOAT16); <paramref name="name"/> goes into a .pb.
    /// </summary>
    public static void Write(string path, string name, FileTensor tensor, bool half = false)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        switch (Path.GetExtension(path).ToLowerInvariant())
        {
            case ".npy":
                NpyFile.Write(path, half ? new NpyArray(ToHalves(tensor.Data), tensor.Shape) : new NpyArray(tensor.Data, tensor.Shape));
                break;
            case ".pb":
                AtomicFile.WriteAllBytes(path, TensorProtoBytes(name, tensor, half));
                break;
            default:
                throw new CliUsageException($"'{path}': output files must be .npy (NumPy) or .pb (ONNX TensorProto).");
        }
    }

    /// <summary>A FLOAT (or, with <paramref name="half"/>, FLOAT16) TensorProto with raw_data.</summary>
    public static byte[] TensorProtoBytes(string name, FileTensor tensor, bool half = false)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var raw = half ? System.Runtime.InteropServices.MemoryMarshal.AsBytes(ToHalves(tensor.Data).AsSpan()).ToArray() : new byte[tensor.Data.Length * sizeof(float)];
        if (!half)
        {
            Buffer.BlockCopy(tensor.Data, 0, raw, 0, raw.Length);
        }

        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Writing TensorProto raw_data needs a little-endian machine.");
        }

        using var stream = new MemoryStream();
        using (var output = new CodedOutputStream(stream, leaveOpen: true))
        {
            foreach (var d in tensor.Shape)
            {
                output.WriteTag(1, WireFormat.WireType.Varint);
                output.WriteInt64(d);
            }

            output.WriteTag(2, WireFormat.WireType.Varint);
            output.WriteInt32(half ? 10 : 1);
            output.WriteTag(8, WireFormat.WireType.LengthDelimited);
            output.WriteString(name);
            output.WriteTag(9, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(raw));
        }

        return stream.ToArray();
    }

    /// <summary>Each value rounded to the nearest half (ties to even; beyond ±65504 to ±∞).</summary>
    private static Half[] ToHalves(float[] values) => [.. values.Select(v => (Half)v)];
}
