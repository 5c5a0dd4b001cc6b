using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime.Cuda;

namespace ILGPUInt8.Kernels.Arch;

/// <summary>
/// One operand of a TMA-fed kernel: a row-major [Rows][RowBytes] byte matrix at row stride <see cref="Stride"/>
/// (a multiple of 16), read in boxes of up to 256 rows × <see cref="BoxBytes"/> (128 or 64) bytes, swizzled as wide
/// (<see cref="TmaSwizzle"/>). On the GPU the copy engine reads it through the tensor map at device address
/// <see cref="Map"/> (<c>Runtime.TensorMaps</c>); the emulation reads <see cref="Data"/> itself with the same bounds
/// (elements past Rows or RowBytes read as 0).
/// </summary>
internal readonly struct TmaOperand(ArrayView<sbyte> data, long map, int rows, int rowBytes, int stride, int boxBytes = 128)
{
    /// <summary>The matrix (emulation only).</summary>
    public readonly ArrayView<sbyte> Data = data;

    /// <summary>Device address of the 128-byte tensor map (GPU only).</summary>
    public readonly long Map = map;

    /// <summary>Rows of the matrix.</summary>
    public readonly int Rows = rows;

    /// <summary>Bytes of a row that belong to the matrix (K of a GEMM operand).</summary>
    public readonly int RowBytes = rowBytes;

    /// <summary>Bytes between rows.</summary>
    public readonly int Stride = stride;

    /// <summary>Bytes of a box row (128 or 64), which is also the swizzle width.</summary>
    public readonly int BoxBytes = boxBytes;
}

/// <summary>
/// The activation of a TMA-fed convolution as the copy engine's im2col mode reads it: NHWC bytes [N][H][W][C]. A load
/// of tile start (c, w, h, n) and filter offset (offW, offH) fills <see cref="Pixels"/> box rows of
/// <see cref="BoxBytes"/> channels c.. of the pixels met walking the base positions from (n, h, w) in W, then H, then N
/// order, w from <see cref="LowerW"/> to <see cref="LastW"/> in steps of <see cref="StrideW"/> (h likewise): row i reads
/// x[n, h + offH, w + offW, c..], zero outside the image or past N. With LowerW = −padW and LastW = (Q − 1)·strideW −
/// padW the base positions are exactly the output pixels' top-left input corners, in output order (<c>ConvPixel</c>).
/// </summary>
internal readonly struct TmaIm2col(
    ArrayView<sbyte> data, long map, int n, int h, int w, int c, int strideH, int strideW, int lowerH, int lowerW, int lastH, int lastW, int boxBytes)
{
    /// <summary>Box rows (pixels) a load fills.</summary>
    public const int Pixels = 128;

    /// <summary>The activation (emulation only).</summary>
    public readonly ArrayView<sbyte> Data = data;

    /// <summary>Device address of the 128-byte im2col tensor map (GPU only).</summary>
    public readonly long Map = map;

    /// <summary>Images.</summary>
    public readonly int N = n;

    /// <summary>Input height.</summary>
    public readonly int H = h;

    /// <summary>Input width.</summary>
    public readonly int W = w;

    /// <summary>Channels (bytes a pixel).</summary>
    public readonly int C = c;

    /// <summary>Vertical step between base positions (the convolution's stride).</summary>
    public readonly int StrideH = strideH;

    /// <summary>Horizontal step between base positions.</summary>
    public readonly int StrideW = strideW;

    /// <summary>First base row (−padH).</summary>
    public readonly int LowerH = lowerH;

    /// <summary>First base column (−padW).</summary>
    public readonly int LowerW = lowerW;

    /// <summary>Last base row ((P − 1)·strideH − padH).</summary>
    public readonly int LastH = lastH;

    /// <summary>Last base column ((Q − 1)·strideW − padW).</summary>
    public readonly int LastW = lastW;

    /// <summary>Channels (bytes) a box row holds: 128 or 64, also the swizzle width.</summary>
    public readonly int BoxBytes = boxBytes;
}

/// <summary>Where the copy engine's 128- and 64-byte swizzles put byte <c>linear</c> of a box (from a 1024-aligned base).</summary>
internal static class TmaSwizzle
{
    /// <summary>128-byte rows: address bits 4-6 XOR bits 7-9; 64-byte rows: bits 4-5 XOR bits 7-8.</summary>
    public static int Address(int linear, int rowBytes) =>
        rowBytes == 64 ? linear ^ (((linear >> 7) & 3) << 4) : linear ^ (((linear >> 7) & 7) << 4);
}

/// <summary>
/// The Hopper copy engine and its barriers as a kernel sees them (a struct type parameter, as <see cref="IWgmmaOps"/>):
/// <c>cp.async.bulk.tensor.2d</c> box loads into the 128-byte-swizzled layout wgmma reads, completing on an
/// <c>mbarrier</c> that counts the bytes (<c>expect_tx</c> / <c>complete_tx</c>), and the barriers' arrive and
/// parity waits. <see cref="PtxTma"/> is the PTX; <see cref="EmulatedTma"/> runs the same kernel on the CPU accelerator,
/// where a load copies at once and the waits are block barriers (every thread calls <see cref="WaitFull"/> and
/// <see cref="Release"/> at the same points, so the schedule is one the hardware may take).
/// </summary>
internal interface ITmaOps
{
    /// <summary><c>mbarrier.init</c> of the barrier at shared address <paramref name="bar"/> for <paramref name="count"/> arrivals (one thread).</summary>
    void Init(uint bar, int count);

    /// <summary>Makes the barriers' initialisation visible to the copy engine and to the other threads (all threads, then a block barrier).</summary>
    void FenceInit();

    /// <summary>Arrives on <paramref name="bar"/> and tells it <paramref name="bytes"/> more bytes are coming (the producer thread).</summary>
    void ExpectBytes(uint bar, int bytes);

    /// <summary>
    /// Copies the box of <paramref name="boxRows"/> rows × 128 bytes at (row <paramref name="row"/>, byte
    /// <paramref name="k"/>) of <paramref name="operand"/> to shared address <paramref name="dst"/> (1024-byte aligned;
    /// byte offset <paramref name="dstOffset"/> of <paramref name="shared"/>), 128-byte swizzled: byte b of box row r
    /// lands at r·128 + b with address bits 4-6 XORed with bits 7-9. Completes on <paramref name="bar"/>.
    /// </summary>
    void Load(ArrayView<int> shared, uint dst, int dstOffset, TmaOperand operand, int k, int row, int boxRows, uint bar);

    /// <summary>
    /// The im2col box of <paramref name="operand"/> (<see cref="TmaIm2col"/>) at tile start (c, w, h, n) and filter
    /// offset (offW, offH) to shared address <paramref name="dst"/>, swizzled as <see cref="TmaIm2col.BoxBytes"/>;
    /// completes on <paramref name="bar"/>.
    /// </summary>
    void LoadIm2col(ArrayView<int> shared, uint dst, int dstOffset, TmaIm2col operand, int c, int w, int h, int n, int offW, int offH, uint bar);

    /// <summary>Waits until the barrier's phase <paramref name="parity"/> has completed (every thread that reads the stage).</summary>
    void WaitFull(uint bar, int parity);

    /// <summary>This warp is done reading a stage: lane 0 arrives on <paramref name="bar"/> (every thread calls it).</summary>
    void Release(uint bar);

    /// <summary>The producer waits until every warp has released the stage (phase <paramref name="parity"/>).</summary>
    void WaitEmpty(uint bar, int parity);
}

/// <summary>The copy engine and mbarriers in PTX (sm_90).</summary>
internal readonly struct PtxTma : ITmaOps
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Init(uint bar, int count) => CudaAsm.Emit("mbarrier.init.shared::cta.b64 [%0], %1;", bar, count);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void FenceInit()
    {
        CudaAsm.Emit("fence.mbarrier_init.release.cluster;");
        CudaAsm.Emit("fence.proxy.async.shared::cta;");
        Group.Barrier();
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void ExpectBytes(uint bar, int bytes) => CudaAsm.Emit("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;", bar, bytes);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Load(ArrayView<int> shared, uint dst, int dstOffset, TmaOperand operand, int k, int row, int boxRows, uint bar) =>
        CudaAsm.Emit(
            "cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3}], [%4];",
            dst,
            operand.Map,
            k,
            row,
            bar);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void LoadIm2col(ArrayView<int> shared, uint dst, int dstOffset, TmaIm2col operand, int c, int w, int h, int n, int offW, int offH, uint bar) =>
        CudaAsm.Emit(
            "cp.async.bulk.tensor.4d.shared::cluster.global.im2col.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3, %4, %5}], [%6], {%7, %8};",
            dst,
            operand.Map,
            c,
            w,
            h,
            n,
            bar,
            (short)offW,
            (short)offH);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WaitFull(uint bar, int parity) => Wait(bar, parity);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Release(uint bar)
    {
        if ((Group.IdxX & 31) == 0)
        {
            CudaAsm.Emit("mbarrier.arrive.shared::cta.b64 _, [%0];", bar);
        }
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WaitEmpty(uint bar, int parity) => Wait(bar, parity);

    // Spins on try_wait.parity (which itself suspends the thread for a while); the labels are local to the braces.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Wait(uint bar, int parity) =>
        CudaAsm.Emit(
            "{ .reg .pred P1; TMA_WAIT: mbarrier.try_wait.parity.shared::cta.b64 P1, [%0], %1; @!P1 bra TMA_WAIT; }",
            bar,
            parity);
}

/// <summary>
/// The same operations done at once through ordinary memory (any accelerator; the CPU accelerator in tests): a load is
/// a copy by the calling thread with the bounds and the swizzle of the hardware, the barriers are block barriers.
/// </summary>
internal readonly struct EmulatedTma : ITmaOps
{
    /// <inheritdoc />
    public void Init(uint bar, int count)
    {
    }

    /// <inheritdoc />
    public void FenceInit() => Group.Barrier();

    /// <inheritdoc />
    public void ExpectBytes(uint bar, int bytes)
    {
    }

    /// <inheritdoc />
    public void Load(ArrayView<int> shared, uint dst, int dstOffset, TmaOperand operand, int k, int row, int boxRows, uint bar)
    {
        var bytes = shared.Cast<sbyte>();
        int width = operand.BoxBytes;
        for (int r = 0; r < boxRows; r++)
        {
            int gr = row + r;
            for (int b = 0; b < width; b++)
            {
                int gk = k + b;
                bytes[TmaSwizzle.Address(dstOffset + (r * width) + b, width)] =
                    gr < operand.Rows && gk < operand.RowBytes ? operand.Data[((long)gr * operand.Stride) + gk] : (sbyte)0;
            }
        }
    }

    /// <inheritdoc />
    public void LoadIm2col(ArrayView<int> shared, uint dst, int dstOffset, TmaIm2col operand, int c, int w, int h, int n, int offW, int offH, uint bar)
    {
        var bytes = shared.Cast<sbyte>();
        int width = operand.BoxBytes;
        for (int r = 0; r < TmaIm2col.Pixels; r++)
        {
            int y = h + offH, x = w + offW;
            bool inside = n < operand.N && y >= 0 && y < operand.H && x >= 0 && x < operand.W;
            long pixel = ((((long)n * operand.H) + y) * operand.W) + x;
            for (int b = 0; b < width; b++)
            {
                bytes[TmaSwizzle.Address(dstOffset + (r * width) + b, width)] =
                    inside && c + b < operand.C ? operand.Data[(pixel * operand.C) + c + b] : (sbyte)0;
            }

            // The next base position: W first, then H, then N.
            w += operand.StrideW;
            if (w > operand.LastW)
            {
                w = operand.LowerW;
                h += operand.StrideH;
                if (h > operand.LastH)
                {
                    h = operand.LowerH;
                    n++;
                }
            }
        }
    }

    /// <inheritdoc />
    public void WaitFull(uint bar, int parity) => Group.Barrier();

    /// <inheritdoc />
    public void Release(uint bar) => Group.Barrier();

    /// <inheritdoc />
    public void WaitEmpty(uint bar, int parity)
    {
    }
}
