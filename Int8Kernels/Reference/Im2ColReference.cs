using ILGPUInt8.Kernels.Convolution;

namespace ILGPUInt8.Kernels.Reference;

/// <summary>Scalar reference of <see cref="Ops.Im2Col"/> (int8) and <see cref="Ops.Im2ColFloat"/> (float).</summary>
internal static class Im2ColReference
{
    /// <summary>
    /// y[m, t] with m = (n·P + p)·Q + q and t = (r·S + s)·C + c: x[n, p·sh − ph + r·dh, q·sw − pw + s·dw, c] (x NHWC), zero
    /// for taps outside the image and for R·S·C ≤ t &lt; <paramref name="columns"/>. Groups = 1.
    /// </summary>
    public static T[] Forward<T>(ReadOnlySpan<T> x, ConvProblem p, int columns)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(p);
        p.Validate();
        if (p.Groups != 1 || columns < p.R * p.S * p.C)
        {
            throw new ArgumentException($"im2col of {p} into {columns} columns: needs groups = 1 and columns ≥ R·S·C.", nameof(p));
        }

        var y = new T[(long)p.N * p.P * p.Q * columns];
        for (var n = 0; n < p.N; n++)
        {
            for (var oh = 0; oh < p.P; oh++)
            {
                for (var ow = 0; ow < p.Q; ow++)
                {
                    long row = ((((long)n * p.P) + oh) * p.Q + ow) * columns;
                    for (var r = 0; r < p.R; r++)
                    {
                        for (var s = 0; s < p.S; s++)
                        {
                            var h = (oh * p.StrideH) - p.PadH + (r * p.DilationH);
                            var w = (ow * p.StrideW) - p.PadW + (s * p.DilationW);
                            if (h < 0 || h >= p.H || w < 0 || w >= p.W)
                            {
                                continue;
                            }

                            for (var c = 0; c < p.C; c++)
                            {
                                y[row + (((r * p.S) + s) * p.C) + c] = x[(int)(((((long)n * p.H) + h) * p.W + w) * p.C + c)];
                            }
                        }
                    }
                }
            }
        }

        return y;
    }
}
