using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;

namespace ILGPUInt8.Kernels.Runtime;

/// <summary>
/// Tensor maps for the Hopper copy engine (<c>cp.async.bulk.tensor</c>), made by the driver
/// (<c>cuTensorMapEncodeTiled</c>, which ILGPU 1.5.3 does not expose) and kept in device memory, where a kernel names
/// them by address (a map may live in global memory; the PTX ISA allows .param, .const or .global). A tiled map
/// (<see cref="Map"/>) describes a row-major [rows][rowBytes] byte matrix at a row stride (a multiple of 16) read in
/// boxes of boxRows × boxBytes (128 or 64) with the swizzle of that width (the layouts wgmma's descriptors read); an
/// im2col map (<see cref="Im2col"/>) an NHWC activation read as a convolution's implicit-GEMM rows. Elements outside
/// the tensor read as 0. Maps are cached per device by everything they encode, so a kernel launched again on the same
/// operands (a benchmark, an engine) makes no driver call and no copy. Making a map is a 128-byte upload, so the first
/// launch on new operands synchronises the device once (an execution context's first run of a batch size is plain, so
/// its maps exist before a CUDA graph is captured). A map never moves once made (full chunks stay, a new chunk of
/// slots is added): a captured graph may hold its address.
/// </summary>
internal sealed partial class TensorMaps : IDisposable
{
    /// <summary>Bytes of a CUtensorMap (64-byte aligned).</summary>
    public const int MapBytes = 128;

    // Maps a chunk of device memory holds.
    private const int ChunkMaps = 256;

    private readonly Accelerator _accelerator;
    private readonly List<MemoryBuffer1D<long, Stride1D.Dense>> _chunks = [];
    private readonly Dictionary<MapKey, long> _slots = [];
    private readonly object _gate = new();
    private int _next;

    private TensorMaps(Accelerator accelerator)
    {
        _accelerator = accelerator;
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
    /// <paramref name="boxRows"/> (1..256) rows × <paramref name="boxBytes"/> (128 or 64) bytes, swizzled as wide.
    /// </summary>
    public long Map(long address, int rows, int rowBytes, int stride, int boxRows, int boxBytes = 128)
    {
        if (address % 16 != 0 || stride % 16 != 0 || rows < 1 || rowBytes < 1 || stride < rowBytes || boxRows is < 1 or > 256 || boxBytes is not (64 or 128))
        {
            throw new ArgumentException($"tensor map: address {address:X} and stride {stride} must be multiples of 16, rows {rows} and row bytes {rowBytes} positive, stride ≥ row bytes, box rows {boxRows} in 1..256, box bytes {boxBytes} 64 or 128.");
        }

        return Slot(new MapKey(false, address, rows, rowBytes, stride, boxRows, boxBytes, 0, 0, 0, 0, 0, 0), () => EncodeTiled(address, rows, rowBytes, stride, boxRows, boxBytes));
    }

    /// <summary>
    /// Device address of the im2col map of the NHWC bytes [<paramref name="n"/>][<paramref name="h"/>][<paramref name="w"/>][<paramref name="c"/>]
    /// at <paramref name="address"/> (16-byte aligned, C a multiple of 16) for a convolution of strides
    /// (<paramref name="strideH"/>, <paramref name="strideW"/>) and paddings (<paramref name="padH"/>, <paramref name="padW"/>)
    /// whose output is <paramref name="p"/> × <paramref name="q"/>: the base positions run from −pad to (P − 1)·stride − pad
    /// (the pixel box's corners −pad and (P − 1)·stride − pad − (H − 1)), 128 pixels × <paramref name="boxBytes"/> channels a
    /// load, swizzled as wide.
    /// </summary>
    public long Im2col(long address, int n, int h, int w, int c, int strideH, int strideW, int padH, int padW, int p, int q, int boxBytes)
    {
        int upperH = ((p - 1) * strideH) - padH - (h - 1), upperW = ((q - 1) * strideW) - padW - (w - 1);
        if (address % 16 != 0 || c % 16 != 0 || boxBytes is not (64 or 128) || c < boxBytes || strideH is < 1 or > 8 || strideW is < 1 or > 8
            || padH is < 0 or > 128 || padW is < 0 or > 128 || upperH is < -128 or > 127 || upperW is < -128 or > 127)
        {
            throw new ArgumentException($"im2col tensor map: address {address:X} and C {c} must be multiples of 16 (C ≥ box bytes {boxBytes}, 64 or 128), strides {strideH}×{strideW} in 1..8, paddings {padH}×{padW} and corners ({upperH}, {upperW}) within the 8-bit range of a 4-D map.");
        }

        return Slot(
            new MapKey(true, address, n, h, w, c, strideH, strideW, padH, padW, upperH, upperW, boxBytes),
            () => EncodeIm2col(address, n, h, w, c, strideH, strideW, padH, padW, upperH, upperW, boxBytes));
    }

    private long Slot(MapKey key, Func<long[]> encode)
    {
        lock (_gate)
        {
            if (_slots.TryGetValue(key, out long mapAddress))
            {
                return mapAddress;
            }

            var encoded = encode();
            if (_next % ChunkMaps == 0)
            {
                _chunks.Add(_accelerator.Allocate1D<long>(ChunkMaps * MapBytes / 8));
            }

            var chunk = _chunks[^1];
            int slot = _next++ % ChunkMaps;
            chunk.View.SubView(slot * MapBytes / 8, MapBytes / 8).CopyFromCPU(encoded);
            mapAddress = chunk.NativePtr.ToInt64() + ((long)slot * MapBytes);
            _slots[key] = mapAddress;
            return mapAddress;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var chunk in _chunks)
        {
            chunk.Dispose();
        }
    }

    // CUtensorMap enums (cuda.h): CU_TENSOR_MAP_DATA_TYPE_UINT8 = 0, INTERLEAVE_NONE = 0, SWIZZLE_64B = 2,
    // SWIZZLE_128B = 3, L2_PROMOTION_L2_256B = 3, FLOAT_OOB_FILL_NONE = 0 (out-of-bounds elements read as zero).
    private static int Swizzle(int boxBytes) => boxBytes == 64 ? 2 : 3;

    private static long[] EncodeTiled(long address, int rows, int rowBytes, int stride, int boxRows, int boxBytes) =>
        Encode($"cuTensorMapEncodeTiled([{rows}][{rowBytes}] stride {stride}, box {boxRows}×{boxBytes})", map =>
            CuTensorMapEncodeTiled(
                map, 0, 2, (nint)address, [(ulong)rowBytes, (ulong)rows], [(ulong)stride], [(uint)boxBytes, (uint)boxRows], [1, 1], 0, Swizzle(boxBytes), 3, 0));

    // Dimensions innermost first (C, W, H, N), byte strides of W, H and N, corners and traversal strides for W then H.
    private static long[] EncodeIm2col(long address, int n, int h, int w, int c, int strideH, int strideW, int padH, int padW, int upperH, int upperW, int boxBytes) =>
        Encode($"cuTensorMapEncodeIm2col([{n}][{h}][{w}][{c}] stride {strideH}×{strideW} pad {padH}×{padW}, {boxBytes} channels)", map =>
            CuTensorMapEncodeIm2col(
                map, 0, 4, (nint)address, [(ulong)c, (ulong)w, (ulong)h, (ulong)n], [(ulong)c, (ulong)w * (ulong)c, (ulong)h * (ulong)w * (ulong)c],
                [-padW, -padH], [upperW, upperH], (uint)boxBytes, 128, [1, (uint)strideW, (uint)strideH, 1], 0, Swizzle(boxBytes), 3, 0));

    // The driver wants the map 64-byte aligned: encode into aligned native memory, then copy out.
    private static unsafe long[] Encode(string what, Func<nint, int> encode)
    {
        var map = new long[MapBytes / 8];
        void* aligned = NativeMemory.AlignedAlloc(MapBytes, 64);
        try
        {
            int status = encode((nint)aligned);
            if (status != 0)
            {
                throw new InvalidOperationException($"{what} failed with CUDA error {status}.");
            }

            new ReadOnlySpan<long>(aligned, map.Length).CopyTo(map);
        }
        finally
        {
            NativeMemory.AlignedFree(aligned);
        }

        return map;
    }

    [LibraryImport("libcuda.so.1", EntryPoint = "cuTensorMapEncodeIm2col")]
    private static partial int CuTensorMapEncodeIm2col(
        nint tensorMap, int dataType, uint rank, nint globalAddress, ulong[] globalDim, ulong[] globalStrides,
        int[] lowerCorner, int[] upperCorner, uint channelsPerPixel, uint pixelsPerColumn, uint[] elementStrides,
        int interleave, int swizzle, int l2Promotion, int oobFill);

    [LibraryImport("libcuda.so.1", EntryPoint = "cuTensorMapEncodeTiled")]
    private static partial int CuTensorMapEncodeTiled(
        nint tensorMap, int dataType, uint rank, nint globalAddress, ulong[] globalDim, ulong[] globalStrides,
        uint[] boxDim, uint[] elementStrides, int interleave, int swizzle, int l2Promotion, int oobFill);

    // Everything a map encodes: tiled (address, rows, row bytes, stride, box rows, box bytes) or im2col (address, N, H,
    // W, C, strides, paddings, upper corners, box bytes).
    private readonly record struct MapKey(bool Im2col, long Address, int A, int B, int C, int D, int E, int F, int G, int H, int I, int J, int K);
}
