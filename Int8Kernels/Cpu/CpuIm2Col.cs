using System.Runtime.CompilerServices;
using ILGPUInt8.Kernels.Convolution;

namespace ILGPUInt8.Kernels.Cpu;

/// <summary>
/// im2col over NHWC data for the CPU convolutions: row m = (n·P + p)·Q + q of the GEMM operand A holds the taps of output
/// pixel (n, p, q) of group g in KRSC order, A[m][(r·S + s)·Cg + c] = x[n, p·sh − ph + r·dh, q·sw − pw + s·dw, g·Cg + c]
/// (0 outside the image), the row padded with zeros to the buffer's row length.
/// </summary>
internal static class CpuIm2Col
{
    /// <summary>True when row m of A is row m of x itself (1×1, stride 1, no padding, one group).</summary>
    public static bool IsIdentity(ConvProblem p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return p.R == 1 && p.S == 1 && p.StrideH == 1 && p.StrideW == 1 && p.PadH == 0 && p.PadW == 0 && p.Groups == 1;
    }

    /// <summary>Writes rows [m0, m0 + rows) of A for group g into <paramref name="dst"/> (row stride <paramref name="ld"/> ≥ R·S·Cg).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows<T>(ReadOnlySpan<T> x, ConvProblem p, int group, int m0, int rows, Span<T> dst, int ld)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(p);
        int cg = p.CPerGroup, taps = p.R * p.S * cg, q = p.Q, pq = p.P * q;
        bool identity = IsIdentity(p);
        for (var i = 0; i < rows; i++)
        {
            int m = m0 + i, n = m / pq, pix = m % pq, oh = pix / q, ow = pix % q;
            var row = dst.Slice(i * ld, ld);
            if (identity)
            {
                x.Slice(m * p.C, p.C).CopyTo(row);
                row[p.C..].Clear();
                continue;
            }

            int w0 = (ow * p.StrideW) - p.PadW;
            bool runs = p.DilationW == 1 && p.Groups == 1 && w0 >= 0 && w0 + p.S <= p.W;
            for (var r = 0; r < p.R; r++)
            {
                int h = (oh * p.StrideH) - p.PadH + (r * p.DilationH);
                if (runs && h >= 0 && h < p.H)
                {
                    // The S taps of this row are S·C contiguous input values (one group, no dilation, all inside).
                    x.Slice(((((n * p.H) + h) * p.W) + w0) * p.C, p.S * p.C).CopyTo(row.Slice(r * p.S * cg, p.S * cg));
                    continue;
                }

                for (var s = 0; s < p.S; s++)
                {
                    int w = (ow * p.StrideW) - p.PadW + (s * p.DilationW);
                    int at = ((r * p.S) + s) * cg;
                    if (h < 0 || h >= p.H || w < 0 || w >= p.W)
                    {
                        row.Slice(at, cg).Clear();
                    }
                    else if (cg < 16)
                    {
                        // A few channels (the first layer): an element loop beats a copy call per tap.
                        int from = (((((n * p.H) + h) * p.W) + w) * p.C) + (group * cg);
                        for (var c = 0; c < cg; c++)
                        {
                            row[at + c] = x[from + c];
                        }
                    }
                    else
                    {
                        x.Slice((((((n * p.H) + h) * p.W) + w) * p.C) + (group * cg), cg).CopyTo(row.Slice(at, cg));
                    }
                }
            }

            row[taps..].Clear();
        }
    }
}
