using System.Runtime.CompilerServices;
using ILGPU;
using ILGPUInt8.Kernels.Convolution;

namespace ILGPUInt8.Kernels.Gemm;

/// <summary>
/// An operand of <see cref="GemmF32Fma"/>: element (row, t) of a [rows × K] matrix read from its data, 0 outside (a
/// struct type parameter of the kernel, so the layout costs nothing). Rows are A's m or B's n; t is the reduction index.
/// </summary>
internal interface IF32Operand
{
    /// <summary>True when consecutive rows are adjacent in memory (the staging loads then run along rows), else consecutive t.</summary>
    bool RowsAdjacent { get; }

    /// <summary>Element (row, t), 0 for row ≥ rows or t ≥ K.</summary>
    float Load(ArrayView<float> data, int row, int t);
}

/// <summary>Row-major [rows × K] (t contiguous): element (row, t) at row·ld + t.</summary>
internal readonly record struct RowMajorF32(int Rows, int K, int Ld) : IF32Operand
{
    /// <inheritdoc />
    public bool RowsAdjacent => false;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Load(ArrayView<float> data, int row, int t) => row < Rows && t < K ? data[((long)row * Ld) + t] : 0f;
}

/// <summary>The transpose of a row-major [K × rows] matrix: element (row, t) at t·ld + row.</summary>
internal readonly record struct ColumnMajorF32(int Rows, int K, int Ld) : IF32Operand
{
    /// <inheritdoc />
    public bool RowsAdjacent => true;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Load(ArrayView<float> data, int row, int t) => row < Rows && t < K ? data[((long)t * Ld) + row] : 0f;
}

/// <summary>
/// The im2col rows of an NHWC float input (one group), never stored: element (m, j) with m = (n·P + p)·Q + q and
/// j = (r·S + s)·C + c is x[n, p·sh − ph + r·dh, q·sw − pw + s·dw, c], 0 in the padding — what the host's im2col writes.
/// </summary>
internal readonly record struct Im2ColF32(ConvGeometry G) : IF32Operand
{
    /// <inheritdoc />
    public bool RowsAdjacent => false;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Load(ArrayView<float> data, int row, int t)
    {
        var tap = ConvTap.Locate(ConvPixel.Decode(row, G), 0, t, G);
        return tap.Inside ? data[tap.NhwcElement(G)] : 0f;
    }
}

/// <summary>The transpose of <see cref="Im2ColF32"/>: element (j, m) (a weight gradient's B = colᵀ, t running over pixels).</summary>
internal readonly record struct Im2ColTransposedF32(ConvGeometry G) : IF32Operand
{
    /// <inheritdoc />
    public bool RowsAdjacent => true;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Load(ArrayView<float> data, int row, int t) => new Im2ColF32(G).Load(data, t, row);
}
