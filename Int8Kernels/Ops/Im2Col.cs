using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Ops;

/// <summary>
/// Explicit im2col of an int8 NHWC convolution input (groups = 1): the matrix A [N·P·Q, Kp] whose row m = (n·P + p)·Q + q
/// holds the receptive field of output pixel m, so that the convolution becomes the 1×1 convolution (a GEMM) of A with
/// the weights [K][Kp] (<see cref="PadWeightRows"/>). A few input channels (an RGB stem: C = 3, 7×7) then run on the
/// tensor cores, which need C a multiple of 16.
/// </summary>
public static class Im2Col
{
    /// <summary>The column count is rounded up to this (whole 32-byte k-steps of mma.sync m16n8k32).</summary>
    public const int ColumnAlignment = 32;

    /// <summary>Kp = R·S·C rounded up to a multiple of <see cref="ColumnAlignment"/> (147 → 160).</summary>
    public static int Columns(ConvProblem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        int rsc = problem.R * problem.S * problem.C;
        return (rsc + ColumnAlignment - 1) / ColumnAlignment * ColumnAlignment;
    }

    /// <summary>
    /// The 1×1 convolution of the im2col matrix that equals <paramref name="problem"/>: N images of P×Q pixels with
    /// <paramref name="columns"/> channels, K outputs, 1×1 filter, stride 1, no padding.
    /// </summary>
    public static ConvProblem GemmProblem(ConvProblem problem, int columns)
    {
        ArgumentNullException.ThrowIfNull(problem);
        return new ConvProblem(problem.N, columns, problem.P, problem.Q, problem.K, 1, 1);
    }

    /// <summary>
    /// Weights as <paramref name="rows"/> equal rows → rows of <paramref name="columns"/>, each followed by zeros: KRSC
    /// [K][R·S·C] → [K][Kp] for the im2col GEMM, or its taps [K·R·S][C] → [K·R·S][C'] to widen the channels.
    /// </summary>
    public static sbyte[] PadWeightRows(ReadOnlySpan<sbyte> krsc, int rows, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        if (krsc.Length % rows != 0 || krsc.Length / rows > columns)
        {
            throw new ArgumentException($"Weights have {krsc.Length} values: not {rows} rows of at most {columns}.", nameof(krsc));
        }

        int row = krsc.Length / rows;
        var result = new sbyte[(long)rows * columns];
        for (var i = 0; i < rows; i++)
        {
            krsc.Slice(i * row, row).CopyTo(result.AsSpan(i * columns, row));
        }

        return result;
    }

    /// <summary>
    /// Writes y [N·P·Q, <paramref name="columns"/>] from x NHWC [N, H, W, C] (asynchronous). Throws before any launch for
    /// grouped problems, columns &lt; R·S·C or not a multiple of 4, short views, or y not on a 4-byte boundary.
    /// </summary>
    public static void Run(Int8Device device, ArrayView<sbyte> x, ConvProblem problem, ArrayView<sbyte> y, int columns) =>
        Run(device, x, problem, y, columns, tiled: true);

    /// <summary>
    /// As the public overload; <paramref name="tiled"/> = false forces the one-thread-a-word kernel that the tiled one
    /// falls back to when a tile's input patch exceeds <see cref="Im2ColTiled.PatchBytes"/> (tests run both).
    /// </summary>
    internal static void Run(Int8Device device, ArrayView<sbyte> x, ConvProblem problem, ArrayView<sbyte> y, int columns, bool tiled)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(problem);
        problem.Validate();
        if (problem.Groups != 1)
        {
            throw new ArgumentException($"im2col runs groups = 1 only; {problem} has {problem.Groups}.", nameof(problem));
        }

        int rsc = problem.R * problem.S * problem.C;
        if (columns < rsc || columns % 4 != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(columns), columns, $"columns must be ≥ R·S·C = {rsc} and a multiple of 4.");
        }

        long rows = (long)problem.N * problem.P * problem.Q;
        OpArgs.AtLeast(x.Length, (long)problem.N * problem.H * problem.W * problem.C, nameof(x));
        OpArgs.AtLeast(y.Length, rows * columns, nameof(y));
        if (!QuantArgs.Aligned(y, 4))
        {
            throw new ArgumentException("y must start on a 4-byte boundary (four columns are stored as one word).", nameof(y));
        }

        var yWords = y.SubView(0, rows * columns).Cast<int>();
        var tiles = tiled ? Im2ColTiled.Plan(problem, columns) : null;
        if (tiles is { } d)
        {
            var fast = device.GetKernel("im2col.s8.tiled", a => a.LoadStreamKernel<ArrayView<sbyte>, ArrayView<int>, Im2ColTiles>(Im2ColTiled.Kernel));
            fast(Im2ColTiled.Config(d), x, yWords, d);
            return;
        }

        var kernel = device.GetKernel("im2col.s8", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<sbyte>, ArrayView<int>, ConvGeometry, int>(Kernel));
        int words = columns / 4;
        kernel((int)(rows * words), x, yWords, ConvGeometry.From(problem), words);
    }

    /// <summary>
    /// The simple kernel (large patches): thread i writes word i of y: row m = i / (Kp/4), columns t = 4·(i mod Kp/4) .. +3, each
    /// y[m, t] = x[n, p·sh − ph + r·dh, q·sw − pw + s·dw, c] for t = (r·S + s)·C + c &lt; R·S·C, else 0 (also outside the
    /// image), packed little-endian (<see cref="PackedInt8.Pack"/>). Reads of consecutive t are consecutive bytes of x
    /// within a filter row (s, c), so a warp reads a few contiguous runs and writes 128 contiguous bytes.
    /// </summary>
    internal static void Kernel(Index1D i, ArrayView<sbyte> x, ArrayView<int> y, ConvGeometry g, int words)
    {
        int m = i / words;
        int t = (i - (m * words)) * 4;
        var pixel = ConvPixel.Decode(m, g);
        y[i] = PackedInt8.Pack(Tap(x, pixel, t, g), Tap(x, pixel, t + 1, g), Tap(x, pixel, t + 2, g), Tap(x, pixel, t + 3, g));
    }

    // x at reduction index t of the pixel, 0 for padding taps and t ≥ R·S·C.
    internal static int Tap(ArrayView<sbyte> x, ConvPixel pixel, int t, ConvGeometry g)
    {
        var tap = ConvTap.Locate(pixel, 0, t, g);
        return tap.Inside ? x[tap.NhwcElement(g)] : 0;
    }
}
