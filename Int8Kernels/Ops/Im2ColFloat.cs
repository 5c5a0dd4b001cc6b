using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Ops;

/// <summary>
/// The TF32 GEMM operand A of an FP32 convolution (one group): the im2col rows of an NHWC float input as they are,
/// A[m][j] = x[n, p·sh − ph + r·dh, q·sw − pw + s·dw, c] for m = (n·P + p)·Q + q and j = (r·S + s)·C + c &lt; R·S·C,
/// 0 in the padding and for j ≥ R·S·C (rows padded to <c>columns</c> floats, a multiple of 4: 16-byte rows, as the TF32
/// GEMM's cp.async needs). The GEMM rounds the values to TF32 itself. One thread an element.
/// </summary>
public static class Im2ColFloat
{
    /// <summary>Row length for a problem: R·S·C rounded up to a multiple of 4 floats (lda·4 bytes a multiple of 16).</summary>
    public static int Columns(ConvProblem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        return checked((problem.R * problem.S * problem.C) + 3) / 4 * 4;
    }

    /// <summary>Writes A [N·P·Q][<paramref name="columns"/>] of input <paramref name="x"/> (NHWC float); groups must be 1.</summary>
    public static void Run(Int8Device device, ArrayView<float> x, ConvProblem problem, ArrayView<float> y, int columns)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(problem);
        problem.Validate();
        if (problem.Groups != 1 || columns < problem.R * problem.S * problem.C || columns % 4 != 0)
        {
            throw new ArgumentException($"Im2ColFloat needs groups = 1 and a multiple of 4 ≥ R·S·C columns (groups {problem.Groups}, columns {columns}).", nameof(columns));
        }

        var g = ConvGeometry.From(problem);
        long count = (long)g.GemmM * columns;
        OpArgs.AtLeast(x.Length, (long)problem.N * problem.H * problem.W * problem.C, nameof(x));
        OpArgs.AtLeast(y.Length, count, nameof(y));
        var kernel = device.GetKernel("im2col.float", a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ConvGeometry, int>(Kernel));
        kernel(checked((int)count), x, y, g, columns);
    }

    /// <summary>Thread i writes A[i / columns][i % columns].</summary>
    internal static void Kernel(Index1D i, ArrayView<float> x, ArrayView<float> y, ConvGeometry g, int columns)
    {
        int m = i / columns;
        int j = i - (m * columns);
        var tap = ConvTap.Locate(ConvPixel.Decode(m, g), 0, j, g);
        y[i] = tap.Inside ? x[tap.NhwcElement(g)] : 0f;
    }
}
