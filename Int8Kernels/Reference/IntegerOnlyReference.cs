namespace ILGPUInt8.Kernels.Reference;

/// <summary>
/// Scalar references of the integer-only operators, on NCHW arrays with plain loops (never used by production code).
/// </summary>
internal static class IntegerOnlyReference
{
    /// <summary>
    /// Integer softmax across channels of NCHW int8 x: per pixel, e_c = exp[q_max − q_c] (a Q0.31 table), sum = Σ e (int64),
    /// y_c = round_half_up(127·e_c / sum) = q + (2r ≥ sum ? 1 : 0) with 127·e_c = q·sum + r.
    /// </summary>
    public static sbyte[] SoftMax(ReadOnlySpan<sbyte> x, ReadOnlySpan<int> exp, int n, int c, int hw)
    {
        var y = new sbyte[x.Length];
        for (var b = 0; b < n; b++)
        {
            for (var p = 0; p < hw; p++)
            {
                int max = int.MinValue;
                for (var j = 0; j < c; j++)
                {
                    max = Math.Max(max, x[(((b * c) + j) * hw) + p]);
                }

                long sum = 0;
                for (var j = 0; j < c; j++)
                {
                    sum += exp[max - x[(((b * c) + j) * hw) + p]];
                }

                for (var j = 0; j < c; j++)
                {
                    long scaled = 127L * exp[max - x[(((b * c) + j) * hw) + p]];
                    long q = scaled / sum, r = scaled % sum;
                    y[(((b * c) + j) * hw) + p] = (sbyte)(q + (2 * r >= sum ? 1 : 0));
                }
            }
        }

        return y;
    }
}
