namespace ILGPUInt8.Layers.Onnx;

/// <summary>
/// ConvTranspose on [N, C, D, H, W] (3-D) as two 2-D transposed convolutions. ONNX:
/// y[n, k, z, p, q] = bias[k] + Σ x[n, c, i, h, w]·W[c, k, a, r, s] over z = i·sd − front + a·dd, p = h·sh − top + r·dh,
/// q = w·sw − left + s·dw. First (H, W): the depth slices as D groups of the view [N, D·C, H, W] (after the transpose
/// to [N, D, C, H, W]), each group scattering its C channels to K·A channels (a, k) with W[c, k, a, ·, ·]:
/// t[n, i, a, k, p, q] = Σ_(c, h, w) x[n, c, i, h, w]·W[c, k, a, r, s]. Then depth: t viewed [N, D, A·K, P·Q] and
/// transposed to [N, A·K, D, P·Q] is scattered along D by a (A, 1) transposed convolution of stride (sd, 1) whose weights
/// pick channel (a, k) for output k at tap a (1, else 0): y[n, k, i·sd − front + a·dd, pq] += t[n, i, a, k, pq].
/// </summary>
internal static class Deconvolution3D
{
    public static void Map(OnnxNode node, OnnxMapContext context, ImportedTensor x, ConstantValue w, ConstantValue? bias)
    {
        var s = x.Shape;
        long n = s[0], c = s[1], d = s[2], h = s[3], wIn = s[4];
        int[] wd = w.Tensor.DimsAsInt32();
        if (wd.Length != 5 || wd[0] != c)
        {
            throw node.Error($"weights [{string.Join(", ", wd)}] do not fit an input {OnnxShapes.Format(s)}.");
        }

        if (node.GetInt("group", 1) != 1)
        {
            throw node.Unsupported("group ≠ 1 in a 3-D transposed convolution");
        }

        string autoPad = node.GetString("auto_pad", "NOTSET");
        if (autoPad is not ("NOTSET" or "VALID") || node.GetInts("output_shape") is not null)
        {
            throw node.Unsupported("output_shape or auto_pad SAME_* in a 3-D transposed convolution (only explicit pads)");
        }

        int k = wd[1], depthK = wd[2], kh = wd[3], kw = wd[4];
        int[] stride = Ints(node, "strides", 3, 1), dilation = Ints(node, "dilations", 3, 1), outPad = Ints(node, "output_padding", 3, 0);
        int[] pads = autoPad == "VALID" ? new int[6] : Ints(node, "pads", 6, 0);
        if (stride.Concat(dilation).Any(v => v <= 0) || pads.Concat(outPad).Any(v => v < 0))
        {
            throw node.Error("strides and dilations must be positive, pads and output_padding not negative.");
        }

        // Full output per dimension: s·(in − 1) + outPad + (k − 1)·d + 1, less the begin and end crops.
        long Size(long input, int i, int kernel) => (stride[i] * (input - 1)) + outPad[i] + ((long)(kernel - 1) * dilation[i]) + 1 - pads[i] - pads[i + 3];
        long od = Size(d, 0, depthK), oh = Size(h, 1, kh), ow = Size(wIn, 2, kw);
        if (od <= 0 || oh <= 0 || ow <= 0)
        {
            throw node.Error($"pads [{string.Join(", ", pads)}] crop the whole transposed output.");
        }

        float[] weights = ConvMapper.Weights(node, w);
        // Planes: [D·C, A·K, R, S] for D groups, w1[i·C + c, a·K + kk, r, s] = W[c, kk, a, r, s] (the same for every i).
        var w1 = new float[d * c * depthK * k * kh * kw];
        long plane = (long)kh * kw;
        for (long e = 0; e < w1.LongLength; e++)
        {
            long rs = e % plane, ak = e / plane % (depthK * k), ci = e / plane / (depthK * k) % c;
            long a = ak / k, kk = ak % k;
            w1[e] = weights[(((((ci * k) + kk) * depthK) + a) * plane) + rs];
        }

        var planeSpec = new DeconvolutionSpec(w1, [(int)(d * c), depthK * k, kh, kw], null, (stride[1], stride[2]),
            (pads[1], pads[2], pads[4], pads[5]), (outPad[1], outPad[2]), (dilation[1], dilation[2]), (int)d, null);
        // Depth: [A·K, K, A, 1], w2[a·K + kk, k', a', 0] = 1 when kk = k' and a = a'.
        var w2 = new float[(long)depthK * k * k * depthK];
        for (int a = 0; a < depthK; a++)
        {
            for (int kk = 0; kk < k; kk++)
            {
                w2[(((((a * k) + kk) * k) + kk) * depthK) + a] = 1f;
            }
        }

        var depthSpec = new DeconvolutionSpec(w2, [depthK * k, k, depthK, 1], ConvMapper.Bias(node, bias, k), (stride[0], 1),
            (pads[0], 0, pads[3], 0), (outPad[0], 0), (dilation[0], 1), 1, null);

        var slices = context.AddLayer(node, new TransposeSpec([0, 2, 1, 3, 4]), [x], [n, d, c, h, wIn], context.InternalName(node, "slices"));
        var planes = context.AddLayer(node, new ReshapeSpec(), [slices], [n, d * c, h, wIn], context.InternalName(node, "planes"));
        var scattered = context.AddLayer(node, planeSpec, [planes], [n, d * depthK * k, oh, ow], context.InternalName(node, "deconv_hw"));
        var taps = context.AddLayer(node, new ReshapeSpec(), [scattered], [n, d, depthK * k, oh * ow], context.InternalName(node, "taps"));
        var byDepth = context.AddLayer(node, new TransposeSpec([0, 2, 1, 3]), [taps], [n, depthK * k, d, oh * ow], context.InternalName(node, "by_depth"));
        var y = context.AddLayer(node, depthSpec, [byDepth], [n, k, od, oh * ow], context.InternalName(node, "deconv_d"));
        context.AddLayer(node, new ReshapeSpec(), [y], [n, k, od, oh, ow]);
    }

    internal static int[] Ints(OnnxNode node, string name, int count, int fallback)
    {
        long[] v = node.GetInts(name) ?? [.. Enumerable.Repeat((long)fallback, count)];
        return v.Length == count && v.All(e => e is >= -(1 << 20) and <= 1 << 20) ? [.. v.Select(e => (int)e)]
            : throw node.Error($"{name} has {v.Length} values; {count} are needed.");
    }
}
