using System.Runtime.CompilerServices;
using ILGPU;
using ILGPUInt8.Kernels.Arch;

namespace ILGPUInt8.Kernels.Gemm;

/// <summary>
/// The block's tile of an epilogue's int8 operand (<see cref="IGemmEpilogue.Operand"/>, e.g. a residual's skip) copied
/// into shared memory by the tensor-core kernels (<c>MmaTileEpilogue</c>, <see cref="WgmmaMainloop"/>) once their
/// pipeline is free: 16-byte cp.async chunks issued before the accumulators are staged, so that the operand's memory
/// latency is paid once a block, overlapped with the staging stores, instead of once a pass by loads that wait behind the
/// previous pass's stores (they may alias, so neither the compiler nor the hardware moves them ahead).
/// </summary>
internal static class OperandTile
{
    /// <summary>The device address of a view's first element (Buffer.NativePtr + the view's byte offset).</summary>
    public static long DeviceAddress(ArrayView<sbyte> view) =>
        view.Length == 0 ? 0 : ((IArrayView)view).Buffer.NativePtr.ToInt64() + ((IContiguousArrayView)view).IndexInBytes;

    /// <summary>
    /// Whether the kernels copy the operand: a device address is known and it and ld are multiples of 16 bytes (every
    /// chunk at (row, 16·c) then starts on a 16-byte boundary, as cp.async needs).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Prefetches(EpilogueOperand operand) =>
        operand.Ld > 0 && operand.Address != 0 && ((operand.Address | (long)operand.Ld) & 15) == 0;

    /// <summary>
    /// Copies tile [tileM][tileN] bytes of the operand at (blockRow, blockCol) into the dynamic shared memory at byte
    /// <paramref name="at"/> (row r at at + r·tileN) and commits the copies as one group: chunk i (of tileM·tileN / 16,
    /// this thread's are tid, tid + threads, …) is row r = i / (tileN / 16), columns c = 16·(i mod tileN / 16) .. +15,
    /// src-size min(16, max(0, N − (blockCol + c))) inside M, else 0 (zero fill, nothing read).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Copy(ArrayView<int> smem, uint sbase, int at, EpilogueOperand operand, GemmMmaTn.Args p, int blockRow, int blockCol, int tileM, int tileN, int tid, int threads)
    {
        int chunksPerRow = tileN >> 4;
        for (int i = tid; i < tileM * chunksPerRow; i += threads)
        {
            int r = i / chunksPerRow;
            int c = (i - (r * chunksPerRow)) << 4;
            int row = blockRow + r, col = blockCol + c;
            int bytes = row < p.M ? IntrinsicMath.Min(16, IntrinsicMath.Max(0, p.N - col)) : 0;
            long offset = bytes > 0 ? ((long)row * operand.Ld) + col : 0;
            CpAsync.Copy16(smem, sbase, at + (r * tileN) + c, operand.View, operand.Address, offset, bytes);
        }

        CpAsync.CommitGroup();
    }
}
