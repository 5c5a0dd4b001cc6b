using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Gemm;

/// <summary>
/// SIMT dp4a GEMM C[M,N] = A[M,K]·B[N,K]ᵀ, int8 → int32 (wrapping), finished by a fused epilogue.
/// 128×128 block tiles of 256 threads, 8×8 accumulators a thread, K in steps of 32 bytes; each thread loads
/// one 16-byte chunk of A and of B per step into registers while the previous step computes (double-buffered
/// shared memory, one barrier a step), and stores them transposed (word = 4 k of one row; rows contiguous) so a
/// thread reads its 8 rows or columns of one k-word with two 16-byte shared loads.
/// Needs 16-byte aligned operands with lda, ldb multiples of 16 bytes (K itself is arbitrary: bytes past K are masked).
/// </summary>
public sealed class GemmDp4aTiled : IGemmVariant
{
    /// <summary>Ints in one padded shared row (128 + 4), as Int4.</summary>
    internal const int RowInt4 = 33;

    /// <summary>Int4 elements of one operand's shared tile: 2 buffers × 8 k-words × 33.</summary>
    internal const int SharedInt4 = 2 * 8 * RowInt4;

    /// <inheritdoc />
    public string Name => "gemm_s8s8s32_tn_dp4a_128x128x32";

    /// <inheritdoc />
    public string? CanImplement(Int8Device device, GemmProblem problem)
    {
        if (problem.Lda % 16 != 0 || problem.Ldb % 16 != 0)
        {
            return $"lda ({problem.Lda}) and ldb ({problem.Ldb}) must be multiples of 16 bytes for 16-byte loads";
        }

        if ((long)problem.M * problem.Lda / 16 > int.MaxValue || (long)problem.N * problem.Ldb / 16 > int.MaxValue)
        {
            return "operands larger than 32 GiB are not supported";
        }

        return null;
    }

    /// <inheritdoc />
    public void Run<TEpilogue>(Int8Device device, ArrayView<sbyte> a, ArrayView<sbyte> b, GemmProblem problem, TEpilogue epilogue)
        where TEpilogue : struct, IGemmEpilogue
    {
        if (!QuantArgs.Aligned16(a) || !QuantArgs.Aligned16(b))
        {
            throw new ArgumentException($"{Name} needs operands that start on a 16-byte boundary.", nameof(a));
        }

        var kernel = device.GetKernel("gemm.dp4a.tiled." + typeof(TEpilogue).FullName, acc =>
            acc.LoadStreamKernel<ArrayView<Int4>, ArrayView<Int4>, Args, TEpilogue>(GemmDp4aTiledKernel.Kernel));
        var grid = new Index2D((problem.N + 127) / 128, (problem.M + 127) / 128);
        long aInt4 = (long)problem.M * problem.Lda / 16, bInt4 = (long)problem.N * problem.Ldb / 16;
        kernel(
            new KernelConfig(grid, new Index2D(256, 1)),
            a.SubView(0, aInt4 * 16).Cast<Int4>(),
            b.SubView(0, bInt4 * 16).Cast<Int4>(),
            new Args(problem.M, problem.N, problem.K, problem.Lda / 16, problem.Ldb / 16),
            epilogue);
    }

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

    // Keeps the low `bytes` bytes of a word (all for ≥ 4, none for ≤ 0).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ByteMask(int bytes) => bytes >= 4 ? -1 : bytes <= 0 ? 0 : (1 << (8 * bytes)) - 1;

    /// <summary>Writes chunk words w = 0..3 to shared [buffer][4·chunk + w][row] (ints, rows padded to 132).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void StoreTransposed(ArrayView<int> shared, int buffer, int chunk, int row, Int4 v)
    {
        int baseIndex = (buffer * 8 * RowInt4 * 4) + (4 * chunk * RowInt4 * 4) + row;
        shared[baseIndex] = v.X;
        shared[baseIndex + (RowInt4 * 4)] = v.Y;
        shared[baseIndex + (2 * RowInt4 * 4)] = v.Z;
        shared[baseIndex + (3 * RowInt4 * 4)] = v.W;
    }

    /// <summary>
    /// Applies the epilogue to outputs (row, colOffset + col .. +3), skipping those outside M×N (N counted from colOffset);
    /// four at once when they are whole and 4-aligned.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Finish<TEpilogue>(ref TEpilogue epilogue, Args p, int colOffset, int row, int col, int c0, int c1, int c2, int c3)
        where TEpilogue : struct, IGemmEpilogue
    {
        if (row >= p.M)
        {
            return;
        }

        int outCol = colOffset + col;
        if (col + 3 < p.N && (outCol & 3) == 0)
        {
            epilogue.Apply4(row, outCol, c0, c1, c2, c3);
            return;
        }

        if (col < p.N)
        {
            epilogue.Apply(row, outCol, c0);
        }

        if (col + 1 < p.N)
        {
            epilogue.Apply(row, outCol + 1, c1);
        }

        if (col + 2 < p.N)
        {
            epilogue.Apply(row, outCol + 2, c2);
        }

        if (col + 3 < p.N)
        {
            epilogue.Apply(row, outCol + 3, c3);
        }
    }

    /// <summary>Kernel arguments: sizes and leading dimensions in 16-byte units.</summary>
    internal readonly record struct Args(int M, int N, int K, int Lda16, int Ldb16);
}
