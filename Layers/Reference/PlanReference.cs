using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Kernels.Reference;
using ILGPUInt8.Kernels.Tensors;

namespace ILGPUInt8.Layers;

/// <summary>
/// The reference pipeline: a plan interpreted on the host, layer by layer, with the scalar references of
/// Int8Kernels/Reference over NCHW arrays — FP32 nodes in float, INT8 nodes with the same int8 parameters
/// (<see cref="Int8Parameters"/>) and formulas as the kernels. An INT8 engine must equal it bit for bit; an FP32 engine
/// within float tolerance. Also evaluates constant layers at build time.
/// </summary>
internal static class PlanReference
{
    /// <summary>Runs the plan on NCHW float inputs; returns every tensor's value (float[] or sbyte[], NCHW, batch n).</summary>
    public static Dictionary<int, Array> Run(Plan plan, IReadOnlyDictionary<string, float[]> inputs, int n)
    {
        var values = new Dictionary<int, Array>();
        foreach (var id in plan.Inputs)
        {
            var t = plan.Tensors[id];
            var x = inputs[t.Name];
            values[id] = t.Type == DataType.Int8 ? QuantizationReference.Quantize(x, [t.Scale], x.Length) : x;
        }

        Array Get(int id)
        {
            if (values.TryGetValue(id, out var v))
            {
                return v;
            }

            var t = plan.Tensors[id];
            var c = t.Constant ?? throw new InvalidOperationException($"Tensor '{t.Name}' has no value yet.");
            return values[id] = t.Type == DataType.Int8 ? QuantizationReference.Quantize(c, [t.Scale], c.Length) : c;
        }

        foreach (var node in plan.Nodes)
        {
            values[node.Output] = Evaluate(plan, node, Get, n);
        }

        return values;
    }

    /// <summary>The plan's outputs as NCHW floats (int8 outputs dequantized) by name.</summary>
    public static Dictionary<string, float[]> Outputs(Plan plan, IReadOnlyDictionary<string, float[]> inputs, int n)
    {
        var values = Run(plan, inputs, n);
        var result = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var id in plan.Outputs)
        {
            var t = plan.Tensors[id];
            result[t.Name] = values[id] is sbyte[] q ? QuantizationReference.Dequantize(q, [t.Scale], q.Length) : (float[])values[id];
        }

        return result;
    }

    /// <summary>The value of a node whose inputs are all constants (FP32, one item).</summary>
    public static float[] EvaluateConstant(Plan plan, PlanNode node) =>
        (float[])Evaluate(plan, node, id => plan.Tensors[id].Constant!, 1);

    private static Array Evaluate(Plan plan, PlanNode node, Func<int, Array> get, int n)
    {
        var inDims = plan.Tensors[node.Inputs[0]].Dims;
        var output = plan.Tensors[node.Output];
        var x = Repeat(get(node.Inputs[0]), inDims, n);
        float Sx() => plan.Tensors[node.Inputs[0]].Scale;
        return node.Layer switch
        {
            ConvolutionLayer c => Conv(node, x, c.Problem(n, inDims), c.WeightArray, c.BiasArray, Sx, output),
            FullyConnectedLayer f => Conv(node, x, new ConvProblem(n, (int)inDims.Volume, 1, 1, f.OutputCount, 1, 1), f.WeightArray, f.BiasArray, Sx, output),
            DeconvolutionLayer d => Deconv(node, x, d, d.Problem(n, inDims), Sx, output),
            ActivationLayer a => node.Int8
                ? ElementWiseReference.Lookup((sbyte[])x, Int8LookupTable.ForActivation(a.Activation, Sx(), output.Scale))
                : ElementWiseReference.Activation((float[])x, a.Activation),
            PoolingLayer p => Pool(node, x, p, p.Problem(n, inDims), Sx, output),
            ScaleLayer s => Scale((float[])x, s, inDims),
            BatchNormLayer bn => BatchNorm((float[])x, bn, inDims),
            ElementWiseLayer e => Binary(plan, node, e, x, get(node.Inputs[1]), output),
            LrnLayer l => NormalizationReference.Lrn((float[])x, n, inDims.C, inDims.Plane, l.WindowSize, l.Alpha, l.Beta, l.K),
            SoftMaxLayer sm => node.Int8
                ? NormalizationReference.SoftMaxInt8((sbyte[])x, Int8LookupTable.SoftMaxExp(Sx()), n, inDims.C, inDims.Plane)
                : SoftMaxAlong((float[])x, inDims.Nchw(sm.Axis, n)),
            ConcatenationLayer => ConcatAll(plan, node, get, n, output),
            ReshapeLayer => (Array)x.Clone(),
            PaddingLayer p => node.Int8
                ? ShapeReference.Pad((sbyte[])x, n, inDims.C, inDims.H, inDims.W, p.PrePadding.H, p.PostPadding.H, p.PrePadding.W, p.PostPadding.W, (sbyte)QuantMath.Quantize(p.Value, output.Scale))
                : ShapeReference.Pad((float[])x, n, inDims.C, inDims.H, inDims.W, p.PrePadding.H, p.PostPadding.H, p.PrePadding.W, p.PostPadding.W, p.Value),
            ConvertLayer cv => cv.ToInt8
                ? QuantizationReference.Quantize((float[])x, [output.Scale], x.Length)
                : QuantizationReference.Dequantize((sbyte[])x, [Sx()], x.Length),
            _ => throw new NotSupportedException($"No reference for layer type {node.Layer.Type}."),
        };
    }

    // A constant item repeated to a batch of n (activations are already batches).
    private static Array Repeat(Array value, TensorDims dims, int n)
    {
        if (value.Length != dims.Volume || n == 1)
        {
            return value;
        }

        var r = Array.CreateInstance(value.GetType().GetElementType()!, value.Length * n);
        for (var i = 0; i < n; i++)
        {
            Array.Copy(value, 0, r, i * value.Length, value.Length);
        }

        return r;
    }

    private static Array Conv(PlanNode node, Array x, ConvProblem p, float[] w, float[]? bias, Func<float> sx, PlanTensor output)
    {
        if (!node.Int8)
        {
            return ConvolutionFloatReference.Forward((float[])x, w, bias ?? [], p, node.Fused);
        }

        var prm = Int8Parameters.Create(w, p.K, p.CPerGroup * p.R * p.S, bias, sx(), output.Scale, node.Fused, node.IntermediateThreshold / 127f);
        var krsc = WeightLayout.KcrsToKrsc<sbyte>(prm.Weights, p.K, p.CPerGroup, p.R, p.S);
        var acc = ConvolutionReference.Forward((sbyte[])x, TensorFormat.NCHW, krsc, p);
        return FinishNhwc(acc, prm, p.N, p.K, p.P * p.Q);
    }

    private static Array Deconv(PlanNode node, Array x, DeconvolutionLayer d, DeconvProblem p, Func<float> sx, PlanTensor output)
    {
        if (!node.Int8)
        {
            return ConvolutionFloatReference.Transposed((float[])x, d.WeightArray, d.BiasArray ?? [], p, node.Fused);
        }

        var krsc = WeightLayout.DeconvCkrsToKrsc<float>(d.WeightArray, p.C, p.K, p.Groups, p.R, p.S);
        var prm = Int8Parameters.Create(krsc, p.K, p.R * p.S * p.CPerGroup, d.BiasArray, sx(), output.Scale, node.Fused, node.IntermediateThreshold / 127f);
        var xNhwc = LayoutReference.NchwToNhwc<sbyte>((sbyte[])x, new TensorShape(p.N, p.C, p.H, p.W));
        var acc = ConvolutionReference.Transposed(xNhwc, prm.Weights, p);
        return FinishNhwc(acc, prm, p.N, p.K, p.OutH * p.OutW);
    }

    // acc[(n·plane + pixel)·K + k] → y[n][k][pixel] = Finish(acc, k).
    private static sbyte[] FinishNhwc(int[] acc, Int8Parameters prm, int n, int k, int plane)
    {
        var y = new sbyte[acc.Length];
        for (var b = 0; b < n; b++)
        {
            for (var p = 0; p < plane; p++)
            {
                for (var c = 0; c < k; c++)
                {
                    y[(((b * k) + c) * plane) + p] = prm.Finish(acc[(((b * plane) + p) * k) + c], c);
                }
            }
        }

        return y;
    }

    private static Array Pool(PlanNode node, Array x, PoolingLayer layer, PoolProblem p, Func<float> sx, PlanTensor output)
    {
        if (!node.Int8)
        {
            return PoolingReference.Float((float[])x, p, layer.Mode);
        }

        var multipliers = layer.Mode == PoolingMode.Max ? [] : Pooling.AverageMultipliers(sx(), output.Scale, p.R * p.S);
        return PoolingReference.Int8((sbyte[])x, p, layer.Mode, multipliers);
    }

    private static float[] Scale(float[] x, ScaleLayer s, TensorDims dims)
    {
        var count = (int)ScaleLayer.Count(s.Mode, dims);
        var scale = s.ScaleArray ?? Enumerable.Repeat(1f, count).ToArray();
        var shift = s.ShiftArray ?? new float[count];
        Func<int, int> index = s.Mode switch
        {
            ScaleMode.Uniform => _ => 0,
            ScaleMode.Channel => i => (i / dims.Plane) % dims.C,
            _ => i => (int)(i % dims.Volume),
        };
        return ElementWiseReference.Scale(x, scale, shift, s.HasPower ? s.PowerArray : [], index);
    }

    // y = gamma · (x − mean) / sqrt(variance + epsilon) + beta, in double.
    private static float[] BatchNorm(float[] x, BatchNormLayer bn, TensorDims dims)
    {
        var y = new float[x.Length];
        for (var i = 0; i < x.Length; i++)
        {
            var c = (i / dims.Plane) % dims.C;
            y[i] = (float)((bn.GammaArray[c] * (x[i] - (double)bn.MeanArray[c]) / Math.Sqrt((double)bn.VarianceArray[c] + bn.Epsilon)) + bn.BetaArray[c]);
        }

        return y;
    }

    private static Array Binary(Plan plan, PlanNode node, ElementWiseLayer e, Array a, Array b, PlanTensor output)
    {
        if (!node.Int8)
        {
            return ElementWiseReference.Float((float[])a, (float[])b, e.Operation, node.Fused);
        }

        float sa = plan.Tensors[node.Inputs[0]].Scale, sb = plan.Tensors[node.Inputs[1]].Scale;
        return ElementWiseReference.Int8((sbyte[])a, (sbyte[])b, e.Operation, sa, sb, output.Scale, node.Fused.Kind == ActivationKind.Relu);
    }

    // NCHW seen as [outer, length, inner] along the axis: the channel softmax reference with c = length, hw = inner.
    private static float[] SoftMaxAlong(float[] x, (int Outer, int Length, int Inner) view) =>
        NormalizationReference.SoftMax(x, view.Outer, view.Length, view.Inner);

    // NCHW seen as [outer, length, inner] along the axis: the channel concatenation reference with channels = length_i, hw = inner.
    private static Array ConcatAll(Plan plan, PlanNode node, Func<int, Array> get, int n, PlanTensor output)
    {
        var axis = ((ConcatenationLayer)node.Layer).Axis;
        var (outer, _, hw) = output.Dims.Nchw(axis, n);
        var channels = node.Inputs.Select(i => plan.Tensors[i].Dims.Size(axis)).ToList();
        if (!node.Int8)
        {
            return ShapeReference.Concat(node.Inputs.Select(i => (float[])Repeat(get(i), plan.Tensors[i].Dims, n)).ToList(), channels, outer, hw);
        }

        var multipliers = node.Inputs.Select(i => Int8ElementWise.RatioMultiplier(plan.Tensors[i].Scale, output.Scale)).ToArray();
        return ShapeReference.Concat(
            node.Inputs.Select(i => (sbyte[])Repeat(get(i), plan.Tensors[i].Dims, n)).ToList(), channels, outer, hw,
            (part, q) => ShapeReference.RequantizeCopy(q, multipliers[part]));
    }
}

/// <summary>The FP32 layer-by-layer reference of a network: every layer as written (no folding or fusion), NCHW, on the host.</summary>
internal static class NetworkReference
{
    /// <summary>The network's outputs by name for NCHW float inputs of batch <paramref name="n"/>.</summary>
    public static Dictionary<string, float[]> Run(NetworkDefinition network, IReadOnlyDictionary<string, float[]> inputs, int n) =>
        PlanReference.Outputs(GraphLowering.Translate(network, n), inputs, n);
}
