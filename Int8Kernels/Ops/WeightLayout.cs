namespace ILGPUInt8.Kernels.Ops;

/// <summary>Host re-layouts of filter weights between the public (PyTorch/ONNX) orders and the kernels' K-contiguous ones.</summary>
public static class WeightLayout
{
    /// <summary>Convolution weights [K][Cg][R][S] (KCRS) → [K][R][S][Cg] (KRSC).</summary>
    public static T[] KcrsToKrsc<T>(ReadOnlySpan<T> kcrs, int k, int cPerGroup, int r, int s)
    {
        Check(kcrs.Length, (long)k * cPerGroup * r * s, nameof(kcrs));
        var krsc = new T[kcrs.Length];
        for (var o = 0; o < k; o++)
        {
            for (var c = 0; c < cPerGroup; c++)
            {
                for (var i = 0; i < r; i++)
                {
                    for (var j = 0; j < s; j++)
                    {
                        krsc[(((o * r) + i) * s + j) * cPerGroup + c] = kcrs[(((o * cPerGroup) + c) * r + i) * s + j];
                    }
                }
            }
        }

        return krsc;
    }

    /// <summary>
    /// Transposed-convolution weights as ONNX ConvTranspose stores them, [C][K/g][R][S], → [K][R][S][C/g]
    /// (output channel k = g·Kg + kk takes input channels g·Cg .. g·Cg + Cg − 1).
    /// </summary>
    public static T[] DeconvCkrsToKrsc<T>(ReadOnlySpan<T> ckrs, int c, int k, int groups, int r, int s)
    {
        Check(ckrs.Length, (long)c * (k / groups) * r * s, nameof(ckrs));
        int cg = c / groups, kg = k / groups;
        var krsc = new T[ckrs.Length];
        for (var ci = 0; ci < c; ci++)
        {
            int g = ci / cg;
            for (var kk = 0; kk < kg; kk++)
            {
                int o = (g * kg) + kk;
                for (var i = 0; i < r; i++)
                {
                    for (var j = 0; j < s; j++)
                    {
                        krsc[(((o * r) + i) * s + j) * cg + (ci - (g * cg))] = ckrs[(((ci * kg) + kk) * r + i) * s + j];
                    }
                }
            }
        }

        return krsc;
    }

    /// <summary>
    /// Fully connected weights [K][C·H·W] whose columns follow the NCHW flatten order → columns in NHWC order (h, w, c),
    /// the order of an NHWC activation read as one row.
    /// </summary>
    public static T[] FullyConnectedNchwToNhwc<T>(ReadOnlySpan<T> weights, int k, int c, int h, int w)
    {
        long row = (long)c * h * w;
        Check(weights.Length, k * row, nameof(weights));
        var result = new T[weights.Length];
        for (var o = 0; o < k; o++)
        {
            for (var ci = 0; ci < c; ci++)
            {
                for (var hi = 0; hi < h; hi++)
                {
                    for (var wi = 0; wi < w; wi++)
                    {
                        result[(o * row) + (((hi * w) + wi) * c) + ci] = weights[(int)((o * row) + (((ci * h) + hi) * w) + wi)];
                    }
                }
            }
        }

        return result;
    }

    /// <summary>
    /// <paramref name="k"/> rows of <paramref name="rowLength"/> values → rows of <paramref name="stride"/> (≥ rowLength),
    /// zeros after each row: the 16-byte rows the tensor-core GEMMs and the register-blocked FP32 convolution read.
    /// </summary>
    internal static T[] PadRows<T>(ReadOnlySpan<T> rows, int k, int rowLength, int stride)
    {
        var padded = new T[(long)k * stride];
        for (var row = 0; row < k; row++)
        {
            rows.Slice(row * rowLength, rowLength).CopyTo(padded.AsSpan(row * stride, rowLength));
        }

        return padded;
    }

    /// <summary>Per-element values in NCHW order [C][H][W] → NHWC order [H][W][C].</summary>
    public static T[] ChwToHwc<T>(ReadOnlySpan<T> chw, int c, int h, int w) => FullyConnectedNchwToNhwc(chw, 1, c, h, w);

    private static void Check(long length, long expected, string name)
    {
        if (length != expected)
        {
            throw new ArgumentException($"{name} has {length} values; {expected} are needed.", name);
        }
    }
}
