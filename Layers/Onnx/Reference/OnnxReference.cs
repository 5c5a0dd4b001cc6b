namespace ILGPUInt8.Layers.Onnx.Reference;

/// <summary>
/// The scalar FP32 reference interpreter of an <see cref="ImportedNetwork"/>: each layer spec computed with plain
/// loops (double accumulation) exactly as its documentation states. It is the oracle for the ONNX node
/// conformance tests and for the engine's imported networks; it is meant to be obviously right, not fast.
/// </summary>
public static class OnnxReference
{
    /// <summary>Runs the network on inputs given by name; returns every network output by name.</summary>
    /// <param name="network">The imported network.</param>
    /// <param name="inputs">One tensor per network input; all share the batch size (dimension 0).</param>
    /// <param name="simulateRanges">
    /// Fake-quantize every tensor that has a dynamic range T as symmetric int8 right after it is computed:
    /// x ← clamp(round_half_even(x / s), −127, 127) · s with s = T / 127 (what a QDQ model computes, up to its
    /// −128 level).
    /// </param>
    public static IReadOnlyDictionary<string, ReferenceTensor> Run(ImportedNetwork network, IReadOnlyDictionary<string, ReferenceTensor> inputs,
        bool simulateRanges = false)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(inputs);
        var values = new ReferenceTensor?[network.Tensors.Count];
        long? batch = null;
        foreach (var input in network.Inputs)
        {
            if (!inputs.TryGetValue(input.Name, out var t))
            {
                throw new ArgumentException($"Input '{input.Name}' is missing.", nameof(inputs));
            }
            batch ??= t.Shape.Length > 0 ? t.Shape[0] : 1;
            long[] expected = input.WithBatch(batch.Value);
            if (!t.Shape.SequenceEqual(expected) || t.Data.LongLength != OnnxShapes.Product(t.Shape))
            {
                throw new ArgumentException($"Input '{input.Name}' has shape {OnnxShapes.Format(t.Shape)}; {OnnxShapes.Format(expected)} is expected.", nameof(inputs));
            }
            values[input.Id] = simulateRanges ? FakeQuantize(network, input, t) : t;
        }
        foreach (var layer in network.Layers)
        {
            var args = layer.Inputs.Select(i => values[i.Id] ?? throw new InvalidOperationException($"Tensor {i} is used before it is computed.")).ToArray();
            long[] shape = layer.Output.WithBatch(batch ?? 1);
            var result = Compute(layer.Spec, args, shape);
            if (!result.Shape.SequenceEqual(shape))
            {
                throw new InvalidOperationException($"Layer {layer} computed shape {OnnxShapes.Format(result.Shape)}, not {OnnxShapes.Format(shape)}.");
            }
            values[layer.Output.Id] = simulateRanges ? FakeQuantize(network, layer.Output, result) : result;
        }
        return network.Outputs.ToDictionary(o => o.Name, o => values[o.Id]!);
    }

    private static ReferenceTensor FakeQuantize(ImportedNetwork network, ImportedTensor tensor, ReferenceTensor x)
    {
        if (!network.DynamicRanges.TryGetValue(tensor.Name, out float threshold))
        {
            return x;
        }
        float s = threshold / 127f;
        return Map(x, v => (float)(Math.Clamp(Math.Round(v / s, MidpointRounding.ToEven), -127, 127) * s));
    }

    private static ReferenceTensor Compute(LayerSpec spec, ReferenceTensor[] x, long[] shape) => spec switch
    {
        ConvolutionSpec c => ReferenceConvolution.Forward(c, x[0], shape),
        DeconvolutionSpec d => ReferenceConvolution.Transposed(d, x[0], shape),
        FullyConnectedSpec f => ReferenceConvolution.FullyConnected(f, x[0], shape),
        PoolingSpec p => ReferencePooling.Pool(p, x[0], shape),
        ActivationLayerSpec a => Map(x[0], v => Activation(a, v)),
        ScaleSpec s => Scale(s, x[0]),
        ElementWiseSpec e => ElementWise(e, x[0], x[1], shape),
        LrnSpec l => Lrn(l, x[0]),
        SoftMaxSpec s => SoftMax(s, x[0]),
        ConcatenationSpec c => Concat(c, x, shape),
        ReshapeSpec => new ReferenceTensor(shape, (float[])x[0].Data.Clone()),
        PaddingSpec p => Pad(p, x[0], shape),
        ConstantSpec c => ReferenceTensor.From(c.Value),
        IOperatorSpec op => op.Reference(x, shape),
        _ => throw new NotSupportedException($"No reference for {spec.Kind}."),
    };

    private static ReferenceTensor Map(ReferenceTensor x, Func<float, float> f) => new(x.Shape, [.. x.Data.Select(f)]);

    /// <summary>The activation functions, evaluated in double and rounded once.</summary>
    internal static float Activation(ActivationLayerSpec a, float v) => a.Function switch
    {
        OnnxActivation.Relu => v < 0f ? 0f : v,
        OnnxActivation.LeakyRelu => v < 0f ? v * a.Alpha : v,
        OnnxActivation.Sigmoid => (float)(1.0 / (1.0 + Math.Exp(-(double)v))),
        OnnxActivation.Tanh => (float)Math.Tanh(v),
        _ => v < a.Alpha ? a.Alpha : v > a.Beta ? a.Beta : v,
    };

    // y = (x·scale + shift)^power, coefficient index by mode.
    private static ReferenceTensor Scale(ScaleSpec s, ReferenceTensor x)
    {
        long item = x.Shape.Length > 1 ? OnnxShapes.Product(x.Shape, 1) : 1;
        long plane = x.Shape.Length > 2 ? OnnxShapes.Product(x.Shape, 2) : 1;
        long channels = x.Shape.Length > 1 ? x.Shape[1] : 1;
        var y = new float[x.Count];
        for (long e = 0; e < y.LongLength; e++)
        {
            long i = s.Mode switch
            {
                ScaleMode.PerTensor => 0,
                ScaleMode.PerChannel => e / plane % channels,
                _ => e % item,
            };
            double v = ((double)x.Data[e] * s.Scale[i]) + s.Shift[i];
            y[e] = (float)(s.Power is null ? v : Math.Pow(v, s.Power[i]));
        }
        return new ReferenceTensor(x.Shape, y);
    }

    private static ReferenceTensor ElementWise(ElementWiseSpec e, ReferenceTensor a, ReferenceTensor b, long[] shape)
    {
        var y = new float[OnnxShapes.Product(shape)];
        for (long i = 0; i < y.LongLength; i++)
        {
            float u = a.Data[BroadcastSource(i, shape, a.Shape)], v = b.Data[BroadcastSource(i, shape, b.Shape)];
            y[i] = e.Operation switch
            {
                OnnxElementWise.Sum => u + v,
                OnnxElementWise.Product => u * v,
                _ => Math.Max(u, v),
            };
        }
        return new ReferenceTensor(shape, y);
    }

    /// <summary>The flat index in an operand of shape <paramref name="operand"/> of element <paramref name="i"/> of the broadcast result.</summary>
    internal static long BroadcastSource(long i, long[] result, long[] operand)
    {
        long source = 0, stride = 1;
        int offset = result.Length - operand.Length;
        for (int d = result.Length - 1; d >= 0; d--)
        {
            long coordinate = i % result[d];
            i /= result[d];
            int od = d - offset;
            if (od >= 0)
            {
                source += (operand[od] == 1 ? 0 : coordinate) * stride;
                stride *= operand[od];
            }
        }
        return source;
    }

    // y = x / (bias + alpha/size · Σ_{c'} x[c']²)^beta over c' ∈ [c − ⌊(size−1)/2⌋, c + ⌈(size−1)/2⌉] ∩ [0, C).
    private static ReferenceTensor Lrn(LrnSpec l, ReferenceTensor x)
    {
        long n = x.Shape[0], channels = x.Shape[1], plane = OnnxShapes.Product(x.Shape, 2);
        int before = (l.Size - 1) / 2, after = l.Size - 1 - before;
        var y = new float[x.Count];
        for (long b = 0; b < n; b++)
        {
            for (long c = 0; c < channels; c++)
            {
                for (long p = 0; p < plane; p++)
                {
                    double sum = 0;
                    for (long k = Math.Max(0, c - before); k <= Math.Min(channels - 1, c + after); k++)
                    {
                        double v = x.Data[(((b * channels) + k) * plane) + p];
                        sum += v * v;
                    }
                    long e = (((b * channels) + c) * plane) + p;
                    y[e] = (float)(x.Data[e] / Math.Pow(l.Bias + (l.Alpha / l.Size * sum), l.Beta));
                }
            }
        }
        return new ReferenceTensor(x.Shape, y);
    }

    // y = e^(x − max) / Σ e^(x − max) along the axis.
    private static ReferenceTensor SoftMax(SoftMaxSpec s, ReferenceTensor x)
    {
        long outer = OnnxShapes.Product(x.Shape, 0, s.Axis), size = x.Shape[s.Axis], inner = OnnxShapes.Product(x.Shape, s.Axis + 1);
        var y = new float[x.Count];
        for (long o = 0; o < outer; o++)
        {
            for (long i = 0; i < inner; i++)
            {
                long at(long k) => (((o * size) + k) * inner) + i;
                double max = double.NegativeInfinity;
                for (long k = 0; k < size; k++)
                {
                    max = Math.Max(max, x.Data[at(k)]);
                }
                double sum = 0;
                for (long k = 0; k < size; k++)
                {
                    sum += Math.Exp(x.Data[at(k)] - max);
                }
                for (long k = 0; k < size; k++)
                {
                    y[at(k)] = (float)(Math.Exp(x.Data[at(k)] - max) / sum);
                }
            }
        }
        return new ReferenceTensor(x.Shape, y);
    }

    private static ReferenceTensor Concat(ConcatenationSpec c, ReferenceTensor[] parts, long[] shape)
    {
        long outer = OnnxShapes.Product(shape, 0, c.Axis);
        var y = new List<float>((int)OnnxShapes.Product(shape));
        for (long o = 0; o < outer; o++)
        {
            foreach (var p in parts)
            {
                long chunk = OnnxShapes.Product(p.Shape, c.Axis);
                y.AddRange(p.Data.AsSpan((int)(o * chunk), (int)chunk).ToArray());
            }
        }
        return new ReferenceTensor(shape, [.. y]);
    }

    private static ReferenceTensor Pad(PaddingSpec p, ReferenceTensor x, long[] shape)
    {
        var y = new float[OnnxShapes.Product(shape)];
        Array.Fill(y, p.Value);
        int rank = shape.Length;
        var index = new long[rank];
        for (long e = 0; e < x.Count; e++)
        {
            long rest = e;
            for (int d = rank - 1; d >= 0; d--)
            {
                index[d] = rest % x.Shape[d];
                rest /= x.Shape[d];
            }
            long target = 0;
            for (int d = 0; d < rank; d++)
            {
                target = (target * shape[d]) + index[d] + p.Begin[d];
            }
            y[target] = x.Data[e];
        }
        return new ReferenceTensor(shape, y);
    }
}
