namespace ILGPUInt8.Layers.Onnx;

/// <summary>
/// Conv on [N, C, D, H, W] (3-D) as two 2-D convolutions. ONNX, G groups of C/G input and K/G output channels:
/// y[n, k, z, p, q] = bias[k] + Σ x[n, g·C/G + c, z·sd − front + a·dd, p·sh − top + r·dh, q·sw − left + s·dw]·W[k, c, a, r, s].
/// First (H, W): the depth slices, transposed to [N, D, C, H, W] and seen as [N, D·C, H, W], are D·G groups of a 2-D
/// convolution giving for each slice i the A·K channels (g, a, k') = Σ_(c, r, s) x[n, g·C/G + c, i, ·, ·]·W[g·K/G + k', c, a, r, s].
/// Then depth: that output seen as [N, D, A·K, P·Q] and transposed to [N, A·K, D, P·Q] is convolved along D by an (A, 1)
/// window of stride (sd, 1) whose 0/1 weights pick channel (g, a, k') for output g·K/G + k' at tap a.
/// </summary>
internal static class Convolution3D
{
    public static void Map(OnnxNode node, OnnxMapContext context, ImportedTensor x, ConstantValue w, ConstantValue? bias)
    {
        var s = x.Shape;
        long n = s[0], c = s[1], d = s[2], h = s[3], wIn = s[4];
        int[] wd = w.Tensor.DimsAsInt32();
        long groups = node.GetInt("group", 1);
        if (wd.Length != 5 || groups <= 0 || wd[0] % groups != 0 || wd[1] * groups != c)
        {
            throw node.Error($"weights [{string.Join(", ", wd)}] with group {groups} do not fit an input {OnnxShapes.Format(s)}.");
        }

        string autoPad = node.GetString("auto_pad", "NOTSET");
        if (autoPad is not ("NOTSET" or "VALID"))
        {
            throw node.Unsupported($"auto_pad '{autoPad}' in a 3-D convolution (only explicit pads)");
        }

        int k = wd[0], cg = wd[1], depthK = wd[2], kh = wd[3], kw = wd[4], g = (int)groups, kg = k / g;
        int[] stride = Deconvolution3D.Ints(node, "strides", 3, 1), dilation = Deconvolution3D.Ints(node, "dilations", 3, 1);
        int[] pads = autoPad == "VALID" ? new int[6] : Deconvolution3D.Ints(node, "pads", 6, 0);
        if (stride.Concat(dilation).Any(v => v <= 0) || pads.Any(v => v < 0))
        {
            throw node.Error("strides and dilations must be positive, pads not negative.");
        }

        // Per dimension: ⌊(in + begin + end − (k − 1)·d − 1) / s⌋ + 1.
        long Size(long input, int i, int kernel) => SpatialAttributes.OutputSize(input, kernel, stride[i], dilation[i], pads[i], pads[i + 3], false);
        long od = Size(d, 0, depthK), oh = Size(h, 1, kh), ow = Size(wIn, 2, kw);
        if (od <= 0 || oh <= 0 || ow <= 0)
        {
            throw node.Error($"the dilated [{depthK}, {kh}, {kw}] filter does not fit the padded {d}x{h}x{wIn} input.");
        }

        float[] weights = ConvMapper.Weights(node, w);
        // Planes: output channel o = ((i·G + g)·A + a)·K/G + k' of D·G groups, w1[o, c, r, s] = W[g·K/G + k', c, a, r, s].
        long plane = (long)kh * kw, perSlice = (long)depthK * k;
        var w1 = new float[d * perSlice * cg * plane];
        for (long e = 0; e < w1.LongLength; e++)
        {
            long rs = e % plane, ci = e / plane % cg, o = e / plane / cg % perSlice;
            long gi = o / (depthK * kg), a = o / kg % depthK, kk = o % kg;
            w1[e] = weights[(((((((gi * kg) + kk) * cg) + ci) * depthK) + a) * plane) + rs];
        }

        var planeSpec = new ConvolutionSpec(w1, [(int)(d * perSlice), cg, kh, kw], null, (stride[1], stride[2]),
            (pads[1], pads[2], pads[4], pads[5]), (dilation[1], dilation[2]), (int)d * g, null);
        // Depth: [K, A·K, A, 1], w2[g·K/G + k', (g·A + a)·K/G + k', a, 0] = 1.
        var w2 = new float[(long)k * perSlice * depthK];
        for (int gi = 0; gi < g; gi++)
        {
            for (int a = 0; a < depthK; a++)
            {
                for (int kk = 0; kk < kg; kk++)
                {
                    w2[(((((gi * kg) + kk) * perSlice) + (((gi * depthK) + a) * kg) + kk) * depthK) + a] = 1f;
                }
            }
        }

        var depthSpec = new ConvolutionSpec(w2, [k, (int)perSlice, depthK, 1], ConvMapper.Bias(node, bias, k), (stride[0], 1),
            (pads[0], 0, pads[3], 0), (dilation[0], 1), 1, null);

        var slices = context.AddLayer(node, new TransposeSpec([0, 2, 1, 3, 4]), [x], [n, d, c, h, wIn], context.InternalName(node, "slices"));
        var planes = context.AddLayer(node, new ReshapeSpec(), [slices], [n, d * c, h, wIn], context.InternalName(node, "planes"));
        var convolved = context.AddLayer(node, planeSpec, [planes], [n, d * perSlice, oh, ow], context.InternalName(node, "conv_hw"));
        var taps = context.AddLayer(node, new ReshapeSpec(), [convolved], [n, d, perSlice, oh * ow], context.InternalName(node, "taps"));
        var byDepth = context.AddLayer(node, new TransposeSpec([0, 2, 1, 3]), [taps], [n, perSlice, d, oh * ow], context.InternalName(node, "by_depth"));
        var y = context.AddLayer(node, depthSpec, [byDepth], [n, k, od, oh * ow], context.InternalName(node, "conv_d"));
        context.AddLayer(node, new ReshapeSpec(), [y], [n, k, od, oh, ow]);
    }
}
