using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Tensors;

namespace ILGPUInt8.Kernels.Runtime;

/// <summary>
/// A 4-D tensor on an accelerator that owns its buffer: logical shape, data type, memory format and
/// (for int8) quantization parameters. Dispose it to free the device memory.
/// </summary>
public sealed class DeviceTensor : IDisposable
{
    private readonly MemoryBuffer1D<byte, Stride1D.Dense> _buffer;

    /// <summary>Allocates a zero-filled tensor.</summary>
    public DeviceTensor(Int8Device device, TensorShape shape, DataType dataType, TensorFormat format, QuantizationParams? quantization = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        shape.Validate(nameof(shape));
        if (dataType == DataType.Int8x4 && format != TensorFormat.NCHW_VECT_C)
        {
            throw new ArgumentException($"Data type Int8x4 needs format NCHW_VECT_C, not {format}.", nameof(format));
        }

        if (format == TensorFormat.NCHW_VECT_C && dataType is not (DataType.Int8 or DataType.Int8x4))
        {
            throw new ArgumentException($"Format NCHW_VECT_C holds int8 data, not {dataType}.", nameof(dataType));
        }

        Device = device;
        Shape = shape;
        DataType = dataType;
        Format = format;
        Quantization = quantization;
        long bytes = shape.StoredElements(format) * dataType.ElementSize();
        // Round the allocation up to 16 bytes so 16-byte vector kernels never touch past the end.
        _buffer = device.Accelerator.Allocate1D<byte>((bytes + 15) / 16 * 16);
        _buffer.MemSetToZero();
        SizeInBytes = bytes;
    }

    /// <summary>The device the buffer lives on.</summary>
    public Int8Device Device { get; }

    /// <summary>Logical (N, C, H, W).</summary>
    public TensorShape Shape { get; }

    /// <summary>Element type.</summary>
    public DataType DataType { get; }

    /// <summary>Memory format.</summary>
    public TensorFormat Format { get; }

    /// <summary>Quantization of int8 data (null for float data or when not yet known).</summary>
    public QuantizationParams? Quantization { get; set; }

    /// <summary>Bytes of data (the allocation may be up to 15 bytes larger).</summary>
    public long SizeInBytes { get; }

    /// <summary>Elements stored (padded channels of NCHW_VECT_C included).</summary>
    public long StoredElements => Shape.StoredElements(Format);

    /// <summary>The whole allocation as bytes.</summary>
    public ArrayView<byte> Bytes => _buffer.View.AsContiguous();

    /// <summary>The data viewed as <typeparamref name="T"/>; throws when T does not match the data type.</summary>
    public ArrayView<T> View<T>()
        where T : unmanaged
    {
        if (typeof(T) != DataType.ClrType())
        {
            throw new InvalidOperationException($"Tensor of {DataType} cannot be viewed as {typeof(T).Name}.");
        }

        return _buffer.View.AsContiguous().Cast<T>().SubView(0, StoredElements);
    }

    /// <summary>Copies host data (in this tensor's format) to the device.</summary>
    public void CopyFrom<T>(ReadOnlySpan<T> data)
        where T : unmanaged
    {
        var view = View<T>();
        if (data.Length != view.Length)
        {
            throw new ArgumentException($"Expected {view.Length} elements for {Shape} in {Format}, got {data.Length}.", nameof(data));
        }

        view.CopyFromCPU(data.ToArray());
    }

    /// <summary>Copies the data (in this tensor's format) to a new host array.</summary>
    public T[] ToArray<T>()
        where T : unmanaged
    {
        var view = View<T>();
        var result = new T[view.Length];
        Device.Synchronize();
        view.CopyToCPU(result);
        return result;
    }

    /// <inheritdoc />
    public override string ToString() => $"{DataType} {Format} {Shape}";

    /// <inheritdoc />
    public void Dispose() => _buffer.Dispose();
}
