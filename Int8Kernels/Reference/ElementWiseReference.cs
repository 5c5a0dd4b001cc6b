using ILGPUInt8.Kernels.Ops;

namespace ILGPUInt8.Kernels.Reference;

/// <summary>Element-wise references (any layout; b repeats with index i mod len(b)).</summary>
internal static class ElementWiseReference
{
    /// <summary>Float activation y = f(x).</summary>
    public static float[] Activation(ReadOnlySpan<float> x, ActivationSpec activation)
    {
        var y = new float[x.Length];
        for (var i = 0; i < x.Length; i++)
        {
            y[i] = activation.Apply(x[i]);
        }

        return y;
    }

    /// <summary>Int8 table lookup y = lut[x + 128].</summary>
    public static sbyte[] Lookup(ReadOnlySpan<sbyte> x, ReadOnlySpan<sbyte> lut)
    {
        var y = new sbyte[x.Length];
        for (var i = 0; i < x.Length; i++)
        {
            y[i] = lut[x[i] + 128];
        }

        return y;
    }

    /// <summary>Float y = f(a op b).</summary>
    public static float[] Float(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ElementWiseOperation op, ActivationSpec activation)
    {
        var y = new float[a.Length];
        for (var i = 0; i < a.Length; i++)
        {
            float u = a[i], v = b[i % b.Length];
            var r = op switch
            {
                ElementWiseOperation.Sum => u + v,
                ElementWiseOperation.Product => u * v,
                _ => u > v ? u : v,
            };
            y[i] = activation.Apply(r);
        }

        return y;
    }

    /// <summary>Int8 y = a op b with the formulas of <see cref="Int8ElementWise"/>.</summary>
    public static sbyte[] Int8(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b, ElementWiseOperation op, float scaleA, float scaleB, float scaleY, bool relu)
    {
        var lo = relu ? 0 : -127;
        var (ma, mb, k) = Int8ElementWise.SumParameters(scaleA, scaleB, scaleY);
        var pm = Int8ElementWise.ProductMultiplier(scaleA, scaleB, scaleY);
        float ra = Int8ElementWise.RatioMultiplier(scaleA, scaleY), rb = Int8ElementWise.RatioMultiplier(scaleB, scaleY);
        var y = new sbyte[a.Length];
        for (var i = 0; i < a.Length; i++)
        {
            int u = a[i], v = b[i % b.Length];
            y[i] = (sbyte)(op switch
            {
                ElementWiseOperation.Sum => Int8ElementWise.Sum(u, v, ma, mb, k, lo),
                ElementWiseOperation.Product => Int8ElementWise.Product(u, v, pm, lo),
                _ => Int8ElementWise.Max(u, v, ra, rb, lo),
            });
        }

        return y;
    }

    /// <summary>Float y = (x·scale[j] + shift[j])^power[j], j the parameter index of element i given by <paramref name="index"/>.</summary>
    public static float[] Scale(ReadOnlySpan<float> x, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, ReadOnlySpan<float> power, Func<int, int> index)
    {
        ArgumentNullException.ThrowIfNull(index);
        var y = new float[x.Length];
        for (var i = 0; i < x.Length; i++)
        {
            var j = index(i);
            var v = (x[i] * scale[j]) + shift[j];
            y[i] = power.IsEmpty ? v : (float)Math.Pow(v, power[j]);
        }

        return y;
    }
}
