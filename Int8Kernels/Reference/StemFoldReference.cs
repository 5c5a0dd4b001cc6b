using ILGPUInt8.Kernels.Convolution;

namespace ILGPUInt8.Kernels.Reference;

/// <summary>Scalar reference of <see cref="Ops.StemFold"/> from int8 NHWC.</summary>
internal static class StemFoldReference
{
    /// <summary>
    /// z[n, y, x, (i·sw + j)·C + c] = x[n, sh·y − oh + i, sw·x − ow + j, c] (x NHWC) inside the image, else 0; channels
    /// past sh·sw·C are 0.
    /// </summary>
    public static sbyte[] Forward(ReadOnlySpan<sbyte> x, ConvStemFold fold)
    {
        ArgumentNullException.ThrowIfNull(fold);
        var p = fold.Problem;
        var f = fold.Folded;
        var z = new sbyte[fold.FoldedBytes];
        for (var n = 0; n < p.N; n++)
        {
            for (var y = 0; y < f.H; y++)
            {
                for (var xx = 0; xx < f.W; xx++)
                {
                    for (var i = 0; i < p.StrideH; i++)
                    {
                        for (var j = 0; j < p.StrideW; j++)
                        {
                            int h = (p.StrideH * y) - fold.OffsetH + i, w = (p.StrideW * xx) - fold.OffsetW + j;
                            if (h < 0 || h >= p.H || w < 0 || w >= p.W)
                            {
                                continue;
                            }

                            for (var c = 0; c < p.C; c++)
                            {
                                long dst = ((((long)n * f.H) + y) * f.W + xx) * f.C + (((i * p.StrideW) + j) * p.C) + c;
                                z[dst] = x[(int)(((((long)n * p.H) + h) * p.W + w) * p.C + c)];
                            }
                        }
                    }
                }
            }
        }

        return z;
    }
}
