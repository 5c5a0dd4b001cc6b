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

    /// <summary>
    /// The output (h, w) of a forward window (Conv, pooling) over an input of (h, w) with <paramref name="pads"/>
    /// (from <see cref="ForwardPads"/>); see <see cref="OutputSize"/>. Zero where the window does not fit.
    /// </summary>
    public (long H, long W) ForwardOutput(long h, long w, (int Top, int Left, int Bottom, int Right) pads, bool ceil = false) =>
        (OutputSize(h, Kernel.H, Stride.H, Dilation.H, pads.Top, pads.Bottom, ceil),
         OutputSize(w, Kernel.W, Stride.W, Dilation.W, pads.Left, pads.Right, ceil));

    /// <summary>
    /// One dimension of a forward window: span = in + begin + end − ((k − 1)·d + 1); 0 when span &lt; 0, else
    /// ⌊span / s⌋ + 1, or with ceil ⌈span / s⌉ + 1 less one when the last window would start in the end padding
    /// (PyTorch's rule for ceil_mode pooling, which exported models assume).
    /// </summary>
    public static long OutputSize(long input, int k, int s, int d, int begin, int end, bool ceil)
    {
        long span = input + begin + end - (((long)k - 1) * d) - 1;
        if (span < 0)
        {
            return 0;
        }
        long output = (ceil ? (span + s - 1) / s : span / s) + 1;
        if (ceil && (output - 1) * s >= input + begin)
        {
            output--;
        }
        return output;
    }

    /// <summary>
    /// The geometry of a ConvTranspose over an input of (h, w): the full output s·(in − 1) + outPad + (k − 1)·d + 1,
    /// cropped by the pads, which output_shape or SAME_* replace by the crop that gives the wanted size (output_shape's
    /// last spatial entries, or in·s): the total t splits as in the ONNX reference, SAME_UPPER crops ⌊t/2⌋ at the start,
    /// otherwise t − ⌊t/2⌋. A negative end crop extends the output, as more output padding does.
    /// </summary>
    public ((int Top, int Left, int Bottom, int Right) Pads, (int H, int W) OutputPadding, long P, long Q) Transposed(
        OnnxNode node, long h, long w, int spatialRank)
    {
        var outPad = Pair(node, node.GetInts("output_padding"), spatialRank, "output_padding", 0);
        // A 1-D operator is 2-D with height 1: no output padding along H (Pair's H of 1 is for kernels and strides).
        outPad = spatialRank == 1 ? (0, outPad.W) : outPad;
        long fullH = (Stride.H * (h - 1)) + outPad.H + ((long)(Kernel.H - 1) * Dilation.H) + 1;
        long fullW = (Stride.W * (w - 1)) + outPad.W + ((long)(Kernel.W - 1) * Dilation.W) + 1;
        var pads = Pads;
        long[]? outputShape = node.GetInts("output_shape");
        if (outputShape is not null || AutoPad is "SAME_UPPER" or "SAME_LOWER")
        {
            long wantH, wantW;
            if (outputShape is not null)
            {
                if (outputShape.Length < spatialRank)
                {
                    throw node.Error($"output_shape has {outputShape.Length} values; {spatialRank} are needed.");
                }
                wantH = spatialRank == 2 ? outputShape[^2] : 1;
                wantW = outputShape[^1];
            }
            else
            {
                wantH = h * Stride.H;
                wantW = w * Stride.W;
            }
            var (t, b) = Split(fullH - wantH, AutoPad == "SAME_UPPER");
            var (l, r) = Split(fullW - wantW, AutoPad == "SAME_UPPER");
            pads = (t, l, b, r);
        }
        else if (AutoPad == "VALID")
        {
            pads = (0, 0, 0, 0);
        }
        if (pads.Bottom < 0)
        {
            outPad.H -= pads.Bottom;
            fullH -= pads.Bottom;
            pads.Bottom = 0;
        }
        if (pads.Right < 0)
        {
            outPad.W -= pads.Right;
            fullW -= pads.Right;
            pads.Right = 0;
        }
        if (pads.Top < 0 || pads.Left < 0)
        {
            throw node.Unsupported($"an output_shape larger than the full transposed output ({fullH}x{fullW})");
        }
        long p = fullH - pads.Top - pads.Bottom, q = fullW - pads.Left - pads.Right;
        if (p <= 0 || q <= 0)
        {
            throw node.Error($"pads {pads} crop the whole {fullH}x{fullW} output.");
        }
        return (pads, outPad, p, q);
    }

    private static (int Begin, int End) Split(long total, bool upper)
    {
        long half = (long)Math.Floor(total / 2.0);
        return upper ? ((int)half, (int)(total - half)) : ((int)(total - half), (int)half);
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
