using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;

namespace ILGPUInt8.Kernels.Runtime;

/// <summary>
/// Tensor maps for the Hopper copy engine (<c>cp.async.bulk.tensor</c>), made by the driver
/// (<c>cuTensorMapEncodeTiled</c>, which ILGPU 1.5.3 does not expose) and kept in device memory, where a kernel names
/// them by address (a map may live in global memory; the PTX ISA allows .param, .const or .global). One map describes
/// a row-major [rows][rowBytes] byte matrix at a row stride (a multiple of 16) read in boxes of boxRows × 128 bytes
/// with the 128-byte swizzle (the layout wgmma's descriptors read); elements past the matrix read as 0.
/// Maps are cached per device by (address, rows, rowBytes, stride, boxRows), so a kernel launched again on the same
/// operands (a benchmark, an engine) makes no driver call and no copy. Reading a map is a 128-byte upload the first
/// time, so the first launch on new operands synchronises the device once.
/// </summary>
internal sealed partial class TensorMaps : IDisposable
{
    /// <summary>Bytes of a CUtensorMap (64-byte aligned).</summary>
    public const int MapBytes = 128;

    // Slots of the device buffer; when they run out the buffer is reused from slot 0 after a device synchronisation.
    private const int Capacity = 512;

    private readonly Accelerator _accelerator;
    private readonly MemoryBuffer1D<long, Stride1D.Dense> _buffer;
    private readonly Dictionary<(long Address, int Rows, int RowBytes, int Stride, int BoxRows), long> _slots = [];
    private readonly object _gate = new();
    private int _next;

    private TensorMaps(Accelerator accelerator)
    {
        _accelerator = accelerator;
        _buffer = accelerator.Allocate1D<long>(Capacity * MapBytes / 8);
    }

    /// <summary>The cache of <paramref name="device"/> (one per device).</summary>
    public static TensorMaps Of(Int8Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return device.GetKernel<Func<TensorMaps>>("tma.tensor-maps", acc =>
        {
            var maps = new TensorMaps(acc);
            return () => maps;
        })();
    }

    /// <summary>
    /// Device address of the map of the [<paramref name="rows"/>][<paramref name="rowBytes"/>] bytes at device address
    /// <paramref name="address"/> (16-byte aligned), row stride <paramref name="stride"/>, boxes of
    /// <paramref name="boxRows"/> (1..256) rows × 128 bytes, 128-byte swizzle.
    /// </summary>
    public long Map(long address, int rows, int rowBytes, int stride, int boxRows)
    {
        if (address % 16 != 0 || stride % 16 != 0 || rows < 1 || rowBytes < 1 || stride < rowBytes || boxRows is < 1 or > 256)
        {
            throw new ArgumentException($"tensor map: address {address:X} and stride {stride} must be multiples of 16, rows {rows} and row bytes {rowBytes} positive, stride ≥ row bytes, box rows {boxRows} in 1..256.");
        }

        var key = (address, rows, rowBytes, stride, boxRows);
        lock (_gate)
        {
            if (_slots.TryGetValue(key, out long mapAddress))
            {
                return mapAddress;
            }

            var encoded = Encode(address, rows, rowBytes, stride, boxRows);
            if (_next == Capacity)
            {
                // Every slot is taken: launches in flight may still read them, so wait before reusing the buffer.
                _accelerator.Synchronize();
                _slots.Clear();
                _next = 0;
            }

            int slot = _next++;
            _buffer.View.SubView(slot * MapBytes / 8, MapBytes / 8).CopyFromCPU(encoded);
            mapAddress = _buffer.NativePtr.ToInt64() + ((long)slot * MapBytes);
            _slots[key] = mapAddress;
            return mapAddress;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _buffer.Dispose();

    // CUtensorMap enums (cuda.h): CU_TENSOR_MAP_DATA_TYPE_UINT8 = 0, INTERLEAVE_NONE = 0, SWIZZLE_128B = 3,
    // L2_PROMOTION_L2_256B = 3, FLOAT_OOB_FILL_NONE = 0 (out-of-bounds elements read as zero).
    private static long[] Encode(long address, int rows, int rowBytes, int stride, int boxRows)
    {
        var map = new long[MapBytes / 8];
        ulong[] dims = [(ulong)rowBytes, (ulong)rows];
        ulong[] strides = [(ulong)stride];
        uint[] box = [128, (uint)boxRows];
        uint[] elementStrides = [1, 1];
        unsafe
        {
            // The driver wants the map 64-byte aligned: encode into aligned native memory, then copy out.
            void* aligned = NativeMemory.AlignedAlloc(MapBytes, 64);
            try
            {
                int status = CuTensorMapEncodeTiled((nint)aligned, 0, 2, (nint)address, dims, strides, box, elementStrides, 0, 3, 3, 0);
                if (status != 0)
                {
                    throw new InvalidOperationException($"cuTensorMapEncodeTiled([{rows}][{rowBytes}] stride {stride}, box {boxRows}×128) failed with CUDA error {status}.");
                }

                new ReadOnlySpan<long>(aligned, map.Length).CopyTo(map);
            }
            finally
            {
                NativeMemory.AlignedFree(aligned);
            }
        }

        return map;
    }

    [LibraryImport("libcuda.so.1", EntryPoint = "cuTensorMapEncodeTiled")]
    private static partial int CuTensorMapEncodeTiled(
        nint tensorMap, int dataType, uint rank, nint globalAddress, ulong[] globalDim, ulong[] globalStrides,
        uint[] boxDim, uint[] elementStrides, int interleave, int swizzle, int l2Promotion, int oobFill);
}
