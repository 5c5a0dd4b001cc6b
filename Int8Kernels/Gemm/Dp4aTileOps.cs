using System.Runtime.CompilerServices;
using ILGPU;
using ILGPUInt8.Kernels.Quantization;

namespace ILGPUInt8.Kernels.Gemm;

/// <summary>
/// Device-side pieces shared by the generated dp4a tile kernels (GEMM and implicit-GEMM convolution): 16-byte chunk
/// loads with K masking, the transposed store into shared memory, and the predicated epilogue call.
/// </summary>
internal static class Dp4aTileOps
{
    /// <summary>
    /// The 16-byte chunk starting at byte <paramref name="kb"/> of a row (element <paramref name="index"/>),
    /// zero when the row is out of range, bytes at k ≥ K masked to zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Int4 LoadChunk(ArrayView<Int4> view, long index, bool rowValid, int kb, int k)
    {
        Int4 v = default;
        if (rowValid && kb < k)
        {
            v = view[index];
            int valid = k - kb;
            if (valid < 16)
            {
                v.X &= ByteMask(valid);
                v.Y &= ByteMask(valid - 4);
                v.Z &= ByteMask(valid - 8);
                v.W &= ByteMask(valid - 12);
            }
        }

        return v;
    }

    /// <summary>
    /// Writes the chunk's words w = 0..3 (k = 16·chunk + 4w .. +3 of the step) to shared
    /// [buffer][4·chunk + w][row]: <paramref name="kWords"/> rows a buffer, each of <paramref name="rowInts"/> ints
    /// (the tile's rows plus 4 of padding).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void StoreTransposed(ArrayView<int> shared, int rowInts, int kWords, int buffer, int chunk, int row, Int4 v)
    {
        int baseIndex = (buffer * kWords * rowInts) + (4 * chunk * rowInts) + row;
        shared[baseIndex] = v.X;
        shared[baseIndex + rowInts] = v.Y;
        shared[baseIndex + (2 * rowInts)] = v.Z;
        shared[baseIndex + (3 * rowInts)] = v.W;
    }

    /// <summary>
    /// Applies the epilogue to outputs (row, colOffset + col .. +3), skipping those outside m × n (n counted from
    /// colOffset); four at once when they are whole and 4-aligned.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Finish<TEpilogue>(ref TEpilogue epilogue, int m, int n, int colOffset, int row, int col, int c0, int c1, int c2, int c3)
        where TEpilogue : struct, IGemmEpilogue
    {
        if (row >= m)
        {
            return;
        }

        int outCol = colOffset + col;
        if (col + 3 < n && (outCol & 3) == 0)
        {
            epilogue.Apply4(row, outCol, c0, c1, c2, c3);
            return;
        }

        if (col < n)
        {
            epilogue.Apply(row, outCol, c0);
        }

        if (col + 1 < n)
        {
            epilogue.Apply(row, outCol + 1, c1);
        }

        if (col + 2 < n)
        {
            epilogue.Apply(row, outCol + 2, c2);
        }

        if (col + 3 < n)
        {
            epilogue.Apply(row, outCol + 3, c3);
        }
    }

    // Keeps the low `bytes` bytes of a word (all for ≥ 4, none for ≤ 0).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ByteMask(int bytes) => bytes >= 4 ? -1 : bytes <= 0 ? 0 : (1 << (8 * bytes)) - 1;
}
