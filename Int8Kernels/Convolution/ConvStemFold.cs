namespace ILGPUInt8.Kernels.Convolution;

/// <summary>
/// A few-channel strided stem (an RGB 7×7/2) folded into a stride-1 convolution with 16·k channels (space-to-depth),
/// which the tensor-core implicit GEMM runs directly: it gathers the folded patch itself, no im2col matrix is written.
/// Per axis (rows shown; columns likewise) with stride sh, padding ph, filter R:
/// <code>
///   z[n, y, x, (i·sw + j)·C + c] = x[n, sh·y − oh + i, sw·x − ow + j, c]   (0 outside the image and for channels ≥ sh·sw·C)
///   w2[k, r2, s2, (i·sw + j)·C + c] = w[k, sh·r2 + i − eh, sw·s2 + j − ew, c] (0 outside the filter)
///   eh = sh·ph2 − ph + oh ≥ 0,  R2 = ⌈(R + eh) / sh⌉,  H2 = P − 2·ph2 + R2 − 1
/// </code>
/// Output p, tap r = sh·r2 + i − eh reads h = sh·p − ph + r = sh·(p − ph2 + r2) + i − oh: folded row y = p − ph2 + r2,
/// i.e. the folded convolution (stride 1, padding ph2, R2 taps) sees the same products plus zero ones, so the int32 sums
/// and every bit after them equal the original convolution's. <see cref="Plan"/> searches (oh, ph2) so that the folded
/// output is P×Q again and every tap that reads inside the image finds its folded row inside z.
/// </summary>
/// <param name="Problem">The original convolution (batch N).</param>
/// <param name="Folded">The folded convolution: N, C2 = sh·sw·C rounded up to 16, H2, W2, K, R2, S2, stride 1, padding ph2/pw2.</param>
/// <param name="OffsetH">oh: leading image rows the fold shifts by.</param>
/// <param name="OffsetW">ow.</param>
/// <param name="LeadH">eh: leading zero filter rows.</param>
/// <param name="LeadW">ew.</param>
public sealed record ConvStemFold(ConvProblem Problem, ConvProblem Folded, int OffsetH, int OffsetW, int LeadH, int LeadW)
{
    /// <summary>Folded channels are rounded up to this (16-byte cp.async chunks of the tensor-core convolution).</summary>
    public const int ChannelAlignment = 16;

    /// <summary>Largest C·sh·sw folded (more channels are not a stem).</summary>
    public const int MaxFoldedChannels = 64;

    /// <summary>Channels of z that hold data: sh·sw·C.</summary>
    public int DataChannels => Problem.StrideH * Problem.StrideW * Problem.C;

    /// <summary>Bytes of z for the batch of <see cref="Problem"/>: N·H2·W2·C2.</summary>
    public long FoldedBytes => (long)Folded.N * Folded.H * Folded.W * Folded.C;

    /// <summary>
    /// The fold of a stem (groups = 1, dilation 1, sh·sw·C ≤ <see cref="MaxFoldedChannels"/>), or null when none
    /// applies: grouped or dilated problems, too many channels, or no (oh, ph2) giving the same output size.
    /// </summary>
    public static ConvStemFold? Plan(ConvProblem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        problem.Validate();
        var p = problem;
        if (p.Groups != 1 || p.DilationH != 1 || p.DilationW != 1 || (long)p.StrideH * p.StrideW * p.C > MaxFoldedChannels)
        {
            return null;
        }

        if (Axis(p.H, p.R, p.StrideH, p.PadH, p.P) is not (int oh, int ph2, int eh, int r2, int h2)
            || Axis(p.W, p.S, p.StrideW, p.PadW, p.Q) is not (int ow, int pw2, int ew, int s2, int w2))
        {
            return null;
        }

        int c2 = ((p.StrideH * p.StrideW * p.C) + ChannelAlignment - 1) / ChannelAlignment * ChannelAlignment;
        var folded = new ConvProblem(p.N, c2, h2, w2, p.K, r2, s2, 1, 1, ph2, pw2);
        if (folded.P != p.P || folded.Q != p.Q || (long)p.N * h2 * w2 * c2 >= int.MaxValue)
        {
            return null;
        }

        return new ConvStemFold(p, folded, oh, ow, eh, ew);
    }

    /// <summary>The same fold for another batch size.</summary>
    public ConvStemFold WithBatch(int n) => this with { Problem = Problem with { N = n }, Folded = Folded with { N = n } };

    /// <summary>
    /// Folded weights [K][R2][S2][C2] from KRSC [K][R][S][C]: w2[k, r2, s2, (i·sw + j)·C + c] = w[k, sh·r2 + i − eh,
    /// sw·s2 + j − ew, c] inside the filter, else 0.
    /// </summary>
    public sbyte[] FoldWeights(ReadOnlySpan<sbyte> krsc)
    {
        var p = Problem;
        var f = Folded;
        if (krsc.Length != (long)p.K * p.R * p.S * p.C)
        {
            throw new ArgumentException($"Weights have {krsc.Length} values; [K={p.K}][R={p.R}][S={p.S}][C={p.C}] needs {(long)p.K * p.R * p.S * p.C}.", nameof(krsc));
        }

        var w2 = new sbyte[(long)f.K * f.R * f.S * f.C];
        for (var k = 0; k < p.K; k++)
        {
            for (var r = 0; r < p.R; r++)
            {
                for (var s = 0; s < p.S; s++)
                {
                    int rr = r + LeadH, ss = s + LeadW;
                    int r2 = rr / p.StrideH, i = rr % p.StrideH, s2 = ss / p.StrideW, j = ss % p.StrideW;
                    long dst = ((((long)k * f.R) + r2) * f.S + s2) * f.C + (((i * p.StrideW) + j) * p.C);
                    long src = ((((long)k * p.R) + r) * p.S + s) * p.C;
                    krsc.Slice((int)src, p.C).CopyTo(w2.AsSpan((int)dst, p.C));
                }
            }
        }

        return w2;
    }

    /// <summary>
    /// One axis: the (ph2, oh) with the fewest taps R2, then the smallest E2, with eh = s·ph2 − pad + oh in [0, s), R2 = ⌈(R + eh)/s⌉, extent E2 = P − 2·ph2 + R2 − 1 ≥ 1,
    /// such that every (p, r) reading inside the image [0, E) lands in a folded row 0 ≤ p − ph2 + (r + eh)/s &lt; E2 (taps
    /// outside the image may read folded padding or zeros of z).
    /// </summary>
    private static (int Offset, int Pad, int Lead, int Taps, int Extent)? Axis(int extent, int taps, int stride, int pad, int outputs)
    {
        (int Offset, int Pad, int Lead, int Taps, int Extent)? best = null;
        for (var pad2 = 0; pad2 <= taps; pad2++)
        {
            for (var offset = 0; offset < 2 * stride; offset++)
            {
                int lead = (stride * pad2) - pad + offset;
                if (lead < 0 || lead >= stride)
                {
                    continue;
                }

                int taps2 = (taps + lead + stride - 1) / stride;
                int extent2 = outputs - (2 * pad2) + taps2 - 1;
                // The fewest taps, then the smallest folded tensor.
                if (extent2 >= 1 && (best is not { } b || (taps2, extent2).CompareTo((b.Taps, b.Extent)) < 0)
                    && Covers(extent, taps, stride, pad, outputs, pad2, lead, extent2))
                {
                    best = (offset, pad2, lead, taps2, extent2);
                }
            }
        }

        return best;
    }

    private static bool Covers(int extent, int taps, int stride, int pad, int outputs, int pad2, int lead, int extent2)
    {
        for (var o = 0; o < outputs; o++)
        {
            for (var r = 0; r < taps; r++)
            {
                int h = (o * stride) - pad + r;
                int y = o - pad2 + ((r + lead) / stride);
                if (h >= 0 && h < extent && (y < 0 || y >= extent2))
                {
                    return false;
                }
            }
        }

        return true;
    }
}
