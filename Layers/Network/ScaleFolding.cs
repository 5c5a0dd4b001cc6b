namespace ILGPUInt8.Layers.Network;

/// <summary>
/// The weight arithmetic of folding a per-channel scale y = x·scale[k] + shift[k] into the weights layer before it
/// (<see cref="Layer.FoldScale"/>): w'[k] = w[k]·scale[k], b'[k] = b[k]·scale[k] + shift[k].
/// </summary>
internal static class ScaleFolding
{
    /// <summary>Rows of [K][...] times scale[k].</summary>
    public static float[] ScaleRows(float[] w, int k, Func<int, float> scale)
    {
        var row = w.Length / k;
        var r = new float[w.Length];
        for (var i = 0; i < w.Length; i++)
        {
            r[i] = w[i] * scale(i / row);
        }

        return r;
    }

    /// <summary>b'[k] = b[k]·scale[k] + shift[k] (b = 0 without a bias).</summary>
    public static float[] Bias(float[]? bias, int k, Func<int, float> scale, Func<int, float> shift)
    {
        var b = new float[k];
        for (var i = 0; i < k; i++)
        {
            b[i] = ((bias?[i] ?? 0f) * scale(i)) + shift(i);
        }

        return b;
    }
}
