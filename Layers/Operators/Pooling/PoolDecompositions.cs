namespace ILGPUInt8.Layers.Onnx;

/// <summary>
/// Pooling the engine's 2-D pooling layer does not take directly, composed of it and views: 3-D pooling of [N, C, D, H,
/// W] one spatial pair at a time, and dilated max pooling as the maximum of shifted slices.
/// </summary>
internal static class PoolDecompositions
{
    /// <summary>
    /// 3-D MaxPool / AveragePool (and the global ones) on [N, C, D, H, W]: the window is a box, so the max over it is
    /// the max over D of the max over (H, W), and the mean is the mean over D of the means over (H, W) (the count of
    /// input, or of input and padding, pixels in a box is the product of the counts along each dimension): pool (H, W)
    /// on the view [N, C·D, H, W], then pool (D, 1) on the view [N, C, D, H'·W'], then the view [N, C, D', H', W'].
    /// </summary>
    public static void Pool3D(OnnxNode node, OnnxMapContext context, ImportedTensor x, bool max)
    {
        var s = x.Shape;
        long n = s[0], c = s[1], d = s[2], h = s[3], w = s[4];
        bool global = node.OpType.StartsWith("Global", StringComparison.Ordinal);
        long[] k = global ? [d, h, w] : node.GetInts("kernel_shape") ?? throw node.Error("attribute 'kernel_shape' is required.");
        long[] stride = global ? [1, 1, 1] : node.GetInts("strides") ?? [1, 1, 1];
        long[] dilation = global ? [1, 1, 1] : node.GetInts("dilations") ?? [1, 1, 1];
        if (k.Length != 3 || stride.Length != 3 || dilation.Length != 3)
        {
            throw node.Error("kernel_shape, strides and dilations need 3 values each for a rank-5 input.");
        }

        if (dilation.Any(v => v != 1))
        {
            throw node.Unsupported($"dilations [{string.Join(", ", dilation)}] in 3-D pooling");
        }

        if (k.Concat(stride).Any(v => v is <= 0 or > 1 << 20))
        {
            throw node.Error($"kernel_shape [{string.Join(", ", k)}] and strides [{string.Join(", ", stride)}] must be positive.");
        }

        if (max && node.Outputs.Count > 1 && node.Outputs[1].Length > 0)
        {
            throw node.Unsupported("the Indices output");
        }

        bool ceil = !global && node.GetInt("ceil_mode", 0) != 0;
        bool countPad = !global && !max && node.GetInt("count_include_pad", 0) != 0;
        long[] pads = global ? new long[6] : Pads3D(node, [d, h, w], k, stride);
        var size = new long[3];
        long[] input = [d, h, w];
        for (int i = 0; i < 3; i++)
        {
            if (pads[i] >= k[i] || pads[i + 3] >= k[i])
            {
                throw node.Unsupported($"pads [{string.Join(", ", pads)}] as large as the window [{string.Join(", ", k)}]");
            }

            size[i] = SpatialAttributes.OutputSize(input[i], (int)k[i], (int)stride[i], 1, (int)pads[i], (int)pads[i + 3], ceil);
            if (size[i] <= 0)
            {
                throw node.Error($"the [{string.Join(", ", k)}] window does not fit the padded {d}x{h}x{w} input.");
            }
        }

        var planes = context.AddLayer(node, new ReshapeSpec(), [x], [n, c * d, h, w], context.InternalName(node, "planes"));
        var hw = new PoolingSpec(max, ((int)k[1], (int)k[2]), ((int)stride[1], (int)stride[2]), ((int)pads[1], (int)pads[2], (int)pads[4], (int)pads[5]), ceil, countPad, false);
        var pooledHw = context.AddLayer(node, hw, [planes], [n, c * d, size[1], size[2]], context.InternalName(node, "pool_hw"));
        var depth = context.AddLayer(node, new ReshapeSpec(), [pooledHw], [n, c, d, size[1] * size[2]], context.InternalName(node, "depth"));
        var dd = new PoolingSpec(max, ((int)k[0], 1), ((int)stride[0], 1), ((int)pads[0], 0, (int)pads[3], 0), ceil, countPad, false);
        var pooled = context.AddLayer(node, dd, [depth], [n, c, size[0], size[1] * size[2]], context.InternalName(node, "pool_d"));
        context.AddLayer(node, new ReshapeSpec(), [pooled], [n, c, size[0], size[1], size[2]]);
    }

    /// <summary>
    /// Begin and end pads of the three spatial dimensions ([d_b, h_b, w_b, d_e, h_e, w_e]); SAME_*: out = ⌈in / s⌉,
    /// total = max(0, (out − 1)·s + k − in), the odd one at the end (SAME_UPPER) or the start (SAME_LOWER).
    /// </summary>
    private static long[] Pads3D(OnnxNode node, long[] input, long[] k, long[] stride)
    {
        string autoPad = node.GetString("auto_pad", "NOTSET");
        long[] pads = node.GetInts("pads") ?? new long[6];
        if (pads.Length != 6 || pads.Any(v => v < 0 || v > 1 << 20))
        {
            throw node.Error($"pads [{string.Join(", ", pads)}] must be 6 values, none negative.");
        }

        switch (autoPad)
        {
            case "NOTSET":
                return pads;
            case "VALID":
                return new long[6];
            case "SAME_UPPER" or "SAME_LOWER":
                var same = new long[6];
                for (int i = 0; i < 3; i++)
                {
                    long output = (input[i] + stride[i] - 1) / stride[i];
                    long total = Math.Max(0, ((output - 1) * stride[i]) + k[i] - input[i]);
                    (same[i], same[i + 3]) = autoPad == "SAME_UPPER" ? (total / 2, total - (total / 2)) : (total - (total / 2), total / 2);
                }

                return same;
            default:
                throw node.Error($"auto_pad '{autoPad}' is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER.");
        }
    }

    /// <summary>
    /// Dilated max pooling of [N, C, H, W] (or [N, C, L]): y[p, q] = max over (i, j) of x[p·sh + i·dh, q·sw + j·dw] on the
    /// input padded with the lowest float, which every window reads at least one input pixel beside, as ONNX's pads are
    /// below the window; so y is the maximum of the kh·kw slices x[i·dh + (0 … (P−1)·sh), j·dw + (0 … (Q−1)·sw)],
    /// each subsampled by a (1, 1) pooling of stride (sh, sw).
    /// </summary>
    public static void DilatedMax(OnnxNode node, OnnxMapContext context, ImportedTensor x, SpatialAttributes a,
        (int Top, int Left, int Bottom, int Right) pads, (long P, long Q) output)
    {
        var s = x.Shape;
        bool oneD = s.Count == 3;
        var padded = x;
        if (pads != (0, 0, 0, 0))
        {
            int[] begin = oneD ? [0, 0, pads.Left] : [0, 0, pads.Top, pads.Left];
            int[] end = oneD ? [0, 0, pads.Right] : [0, 0, pads.Bottom, pads.Right];
            long[] shape = oneD ? [s[0], s[1], s[2] + pads.Left + pads.Right] : [s[0], s[1], s[2] + pads.Top + pads.Bottom, s[3] + pads.Left + pads.Right];
            padded = context.AddLayer(node, new PaddingSpec(begin, end, float.MinValue), [x], shape, context.InternalName(node, "pad"));
        }

        int taps = a.Kernel.H * a.Kernel.W;
        ImportedTensor? result = null;
        for (int t = 0; t < taps; t++)
        {
            int i = t / a.Kernel.W, j = t % a.Kernel.W;
            var tap = padded;
            // Rows then columns: the slice of each spatial dimension the tap reads (none for the height of 1-D).
            foreach (var (axis, start, count, stride) in oneD
                ? new[] { (2, j * a.Dilation.W, output.Q, a.Stride.W) }
                : [(2, i * a.Dilation.H, output.P, a.Stride.H), (3, j * a.Dilation.W, output.Q, a.Stride.W)])
            {
                long length = ((count - 1) * stride) + 1;
                if (start == 0 && length == tap.Shape[axis])
                {
                    continue;
                }

                long[] sliced = [.. tap.Shape];
                sliced[axis] = length;
                tap = context.AddLayer(node, new SliceSpec(axis, start, (int)length), [tap], sliced, context.InternalName(node, $"tap{t}_{axis}"));
            }

            if (a.Stride != (1, 1))
            {
                var every = new PoolingSpec(true, (1, 1), a.Stride, (0, 0, 0, 0), false, false, false);
                tap = context.AddLayer(node, every, [tap], SpatialAttributes.OutputShape(s, s[1], output.P, output.Q), context.InternalName(node, $"tap{t}"));
            }

            if (result is null)
            {
                result = tap;
                continue;
            }

            var max = new ElementWiseSpec(OnnxElementWise.Max);
            result = t == taps - 1 ? context.AddLayer(node, max, [result, tap], SpatialAttributes.OutputShape(s, s[1], output.P, output.Q))
                : context.AddLayer(node, max, [result, tap], SpatialAttributes.OutputShape(s, s[1], output.P, output.Q), context.InternalName(node, $"max{t}"));
        }

        if (taps == 1)
        {
            context.AddLayer(node, new ReshapeSpec(), [result!], SpatialAttributes.OutputShape(s, s[1], output.P, output.Q));
        }
    }
}
