using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Ops;

/// <summary>
/// The FP16 GEMM operand A of a convolution (one group): the im2col rows of an NHWC float input rounded to halves,
/// A[m][j] = half_RNE(x[n, p·sh − ph + r·dh, q·sw − pw + s·dw, c]) for m = (n·P + p)·Q + q and j = (r·S + s)·C + c &lt; R·S·C,
/// 0 in the padding and for j ≥ R·S·C (rows padded to <c>columns</c> halves, a multiple of 8: 16-byte rows).
/// One thread an element; the halves are <see cref="HalfConvert.FromFloat"/>'s (round-to-nearest-even). The overload on
/// an NHWC half input (2-byte storage) copies the halves themselves.
/// </summary>
public static class Im2ColHalf
{
    /// <summary>Row length for a problem: R·S·C rounded up to a multiple of 8 halves.</summary>
    public static int Columns(ConvProblem problem) => checked((problem.R * problem.S * problem.C) + 7) / 8 * 8;

    /// <summary>Writes A [N·P·Q][<paramref name="columns"/>] (half bits) of input <paramref name="x"/> (NHWC float); groups must be 1.</summary>
    public static void Run(Int8Device device, ArrayView<float> x, ConvProblem problem, ArrayView<ushort> y, int columns)
    {
        var (g, count) = Checked(device, x.Length, problem, y, columns);
        var kernel = device.GetKernel("im2col.half", a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<ushort>, ConvGeometry, int>(Kernel));
        kernel(checked((int)count), x, y, g, columns);
    }

    /// <summary>Writes A [N·P·Q][<paramref name="columns"/>] (half bits) of input <paramref name="x"/> (NHWC half bits); groups must be 1.</summary>
    public static void Run(Int8Device device, ArrayView<ushort> x, ConvProblem problem, ArrayView<ushort> y, int columns)
    {
        var (g, count) = Checked(device, x.Length, problem, y, columns);
        var kernel = device.GetKernel("im2col.half.halves", a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<ushort>, ArrayView<ushort>, ConvGeometry, int>(HalvesKernel));
        kernel(checked((int)count), x, y, g, columns);
    }

    // The geometry and element count of A, after checking the arguments.
    private static (ConvGeometry Geometry, long Count) Checked(Int8Device device, long inputLength, ConvProblem problem, ArrayView<ushort> y, int columns)
    {
        ArgumentNullException.ThrowIfNull(device);
        problem.Validate();
        if (problem.Groups != 1 || columns < problem.R * problem.S * problem.C || columns % 8 != 0)
        {
            throw new ArgumentException($"Im2ColHalf needs groups = 1 and a multiple of 8 ≥ R·S·C columns (groups {problem.Groups}, columns {columns}).", nameof(columns));
        }

        var g = ConvGeometry.From(problem);
        long count = (long)g.GemmM * columns;
        OpArgs.AtLeast(inputLength, (long)problem.N * problem.H * problem.W * problem.C, "x");
        OpArgs.AtLeast(y.Length, count, nameof(y));
        return (g, count);
    }

    /// <summary>Thread i writes A[i / columns][i % columns].</summary>
    internal static void Kernel(Index1D i, ArrayView<float> x, ArrayView<ushort> y, ConvGeometry g, int columns)
    {
        int m = i / columns;
        int j = i - (m * columns);
        var tap = ConvTap.Locate(ConvPixel.Decode(m, g), 0, j, g);
        y[i] = tap.Inside ? HalfConvert.FromFloat(x[tap.NhwcElement(g)]) : (ushort)0;
    }

    /// <summary>Thread i writes A[i / columns][i % columns] from a half input.</summary>
    internal static void HalvesKernel(Index1D i, ArrayView<ushort> x, ArrayView<ushort> y, ConvGeometry g, int columns)
    {
        int m = i / columns;
        int j = i - (m * columns);
        var tap = ConvTap.Locate(ConvPixel.Decode(m, g), 0, j, g);
        y[i] = tap.Inside ? x[tap.NhwcElement(g)] : (ushort)0;
    }
}
