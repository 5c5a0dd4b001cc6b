using ILGPUInt8.Kernels.Tensors;

namespace ILGPUInt8.Kernels.Reference;

/// <summary>Host NCHW ↔ NHWC permutes for tests and the reference pipeline.</summary>
internal static class LayoutReference
{
    /// <summary>NCHW data of <paramref name="shape"/> rearranged to NHWC.</summary>
    public static T[] NchwToNhwc<T>(ReadOnlySpan<T> nchw, TensorShape shape) => Permute(nchw, shape, TensorFormat.NCHW, TensorFormat.NHWC);

    /// <summary>NHWC data of <paramref name="shape"/> rearranged to NCHW.</summary>
    public static T[] NhwcToNchw<T>(ReadOnlySpan<T> nhwc, TensorShape shape) => Permute(nhwc, shape, TensorFormat.NHWC, TensorFormat.NCHW);

    private static T[] Permute<T>(ReadOnlySpan<T> x, TensorShape shape, TensorFormat from, TensorFormat to)
    {
        if (x.Length != shape.Elements)
        {
            throw new ArgumentException($"Data has {x.Length} values; {shape} has {shape.Elements}.", nameof(x));
        }

        var y = new T[x.Length];
        for (var n = 0; n < shape.N; n++)
        {
            for (var c = 0; c < shape.C; c++)
            {
                for (var h = 0; h < shape.H; h++)
                {
                    for (var w = 0; w < shape.W; w++)
                    {
                        y[shape.Offset(to, n, c, h, w)] = x[(int)shape.Offset(from, n, c, h, w)];
                    }
                }
            }
        }

        return y;
    }
}
