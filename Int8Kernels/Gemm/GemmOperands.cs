using ILGPU;

namespace ILGPUInt8.Kernels.Gemm;

/// <summary>
/// What a launch's operand buffers offer beyond the problem: their lengths (bytes) and where they start in their
/// allocations (byte offsets). Variants with wide loads check them in <see cref="IGemmVariant.CanImplement"/>.
/// </summary>
/// <param name="ALength">Bytes of A.</param>
/// <param name="BLength">Bytes of B.</param>
/// <param name="AOffset">Byte offset of A in its allocation.</param>
/// <param name="BOffset">Byte offset of B in its allocation.</param>
public readonly record struct GemmOperands(long ALength, long BLength, long AOffset, long BOffset)
{
    /// <summary>The operands of a launch.</summary>
    public static GemmOperands Of(ArrayView<sbyte> a, ArrayView<sbyte> b) =>
        new(a.Length, b.Length, ((IContiguousArrayView)a).IndexInBytes, ((IContiguousArrayView)b).IndexInBytes);

    /// <summary>Whether A holds M whole rows of lda bytes and B N rows of ldb (loads of whole rows stay inside).</summary>
    public bool HoldWholeRows(GemmProblem problem) => ALength >= (long)problem.M * problem.Lda && BLength >= (long)problem.N * problem.Ldb;

    /// <summary>Whether both operands start on a multiple of <paramref name="bytes"/>.</summary>
    public bool StartAligned(int bytes) => AOffset % bytes == 0 && BOffset % bytes == 0;
}
