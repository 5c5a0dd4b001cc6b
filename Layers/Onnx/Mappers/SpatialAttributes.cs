namespace ILGPUInt8.Layers.Onnx;

/// <summary>
/// The window attributes of Conv, ConvTranspose and the pooling operators for one or two spatial
/// dimensions (a 1-D operator is a 2-D one with height 1), with auto_pad resolved to explicit pads.
/// </summary>
internal sealed class SpatialAttributes
{
    public (int H, int W) Kernel { get; private init; }

    public (int H, int W) Stride { get; private init; }

    public (int H, int W) Dilation { get; private init; }

    /// <summary>Explicit pads (top, left, bottom, right) before auto_pad; zero when auto_pad is set.</summary>
    public (int Top, int Left, int Bottom, int Right) Pads { get; private init; }

    /// <summary>NOTSET, VALID, SAME_UPPER or SAME_LOWER.</summary>
    public string AutoPad { get; private init; } = "NOTSET";

    /// <summary>Reads the attributes; <paramref name="kernel"/> is the filter's spatial size when weights give it.</summary>
    public static SpatialAttributes Read(OnnxNode node, int spatialRank, (int H, int W)? kernel)
    {
        if (spatialRank is not (1 or 2))
        {
            throw node.Unsupported($"{spatialRank}-D windows (only 1-D and 2-D)");
        }
        long[]? ks = node.GetInts("kernel_shape");
        (int H, int W) k = ks is not null ? Pair(node, ks, spatialRank, "kernel_shape", 1)
            : kernel ?? throw node.Error("attribute 'kernel_shape' is required.");
        if (kernel is { } w && ks is not null && w != k)
        {
            throw node.Error($"kernel_shape {k} does not match the weights' {w}.");
        }
        var stride = Pair(node, node.GetInts("strides"), spatialRank, "strides", 1);
        var dilation = Pair(node, node.GetInts("dilations"), spatialRank, "dilations", 1);
        string autoPad = node.GetString("auto_pad", "NOTSET");
        if (autoPad is not ("NOTSET" or "VALID" or "SAME_UPPER" or "SAME_LOWER"))
        {
            throw node.Error($"auto_pad '{autoPad}' is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER.");
        }
        var pads = (0, 0, 0, 0);
        if (node.GetInts("pads") is { } p)
        {
            if (p.Length != 2 * spatialRank)
            {
                throw node.Error($"pads has {p.Length} values; {2 * spatialRank} are needed.");
            }
            if (p.Any(v => v < 0 || v > 1 << 20))
            {
                throw node.Unsupported($"pads [{string.Join(", ", p)}] (negative or absurd padding)");
            }
            pads = spatialRank == 2 ? ((int)p[0], (int)p[1], (int)p[2], (int)p[3]) : (0, (int)p[0], 0, (int)p[1]);
            if (autoPad != "NOTSET" && p.Any(v => v != 0))
            {
                throw node.Error($"pads and auto_pad '{autoPad}' are both given.");
            }
        }
        if (k.H <= 0 || k.W <= 0 || stride.H <= 0 || stride.W <= 0 || dilation.H <= 0 || dilation.W <= 0)
        {
            throw node.Error($"kernel {k}, strides {stride} and dilations {dilation} must be positive.");
        }
        return new SpatialAttributes { Kernel = k, Stride = stride, Dilation = dilation, Pads = pads, AutoPad = autoPad };
    }

    /// <summary>
    /// Pads for a forward window (Conv, pooling) over an input of (h, w). SAME_*: output = ⌈in / stride⌉,
    /// total = max(0, (out − 1)·stride + (k − 1)·d + 1 − in); SAME_UPPER puts the odd pixel at the end, SAME_LOWER at the start.
    /// </summary>
    public (int Top, int Left, int Bottom, int Right) ForwardPads(long h, long w)
    {
        if (AutoPad is "NOTSET")
        {
            return Pads;
        }
        if (AutoPad is "VALID")
        {
            return (0, 0, 0, 0);
        }
        var (t, b) = Same(h, Kernel.H, Stride.H, Dilation.H);
        var (l, r) = Same(w, Kernel.W, Stride.W, Dilation.W);
        return (t, l, b, r);
    }

    private (int Begin, int End) Same(long size, int k, int s, int d)
    {
        long output = (size + s - 1) / s;
        long total = Math.Max(0, ((output - 1) * s) + ((long)(k - 1) * d) + 1 - size);
        int small = (int)(total / 2), large = (int)(total - (total / 2));
        return AutoPad == "SAME_UPPER" ? (small, large) : (large, small);
    }

    /// <summary>Reads a per-spatial-dimension attribute as (h, w) (h = 1 for 1-D); <paramref name="fallback"/> when absent.</summary>
    public static (int H, int W) Pair(OnnxNode node, long[]? values, int spatialRank, string name, int fallback)
    {
        if (values is null)
        {
            return spatialRank == 2 ? (fallback, fallback) : (1, fallback);
        }
        if (values.Length != spatialRank)
        {
            throw node.Error($"{name} has {values.Length} values; {spatialRank} are needed.");
        }
        if (values.Any(v => v < 0 || v > 1 << 20))
        {
            throw node.Error($"{name} [{string.Join(", ", values)}] is out of range.");
        }
        return spatialRank == 2 ? ((int)values[0], (int)values[1]) : (1, (int)values[0]);
    }

    /// <summary>The spatial (h, w) of an NCHW or NCL shape (h = 1 for NCL).</summary>
    public static (long H, long W) Plane(IReadOnlyList<long> shape) =>
        shape.Count == 4 ? (shape[2], shape[3]) : (1, shape[2]);

    /// <summary>An NCHW / NCL output shape with the given channels and plane.</summary>
    public static long[] OutputShape(IReadOnlyList<long> input, long channels, long h, long w) =>
        input.Count == 4 ? [input[0], channels, h, w] : [input[0], channels, w];
}
