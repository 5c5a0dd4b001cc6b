using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Tests.Oracle;

/// <summary>
/// The independent INT8 oracle: a network run layer by layer as written, in double precision over NCHW arrays, with
/// ONNX QuantizeLinear/DequantizeLinear ("fake quantization") applied where the engine holds a tensor in int8. Written
/// from the formulas of the README ("Numbers that define INT8 here") and the layers' definitions; it shares none of the
/// engine's planning code (no PlanReference, Int8Parameters, lookup tables, multipliers, folding or fusion):
/// <list type="bullet">
/// <item>activation tensor with threshold T: s = f32(T / 127), x̂ = s · clamp(round_half_even(x · f32(1 / s)), −127, 127);</item>
/// <item>weights per output channel k: s_w[k] = f32(max|W[k]| / 127) (1 for a zero row), Ŵ = QDQ(W, s_w[k]);</item>
/// <item>bias as int32 at the accumulator's scale: b̂[k] = round_half_even(b[k] / (s_x · s_w[k])) · s_x · s_w[k].</item>
/// </list>
/// Without thresholds (<see cref="Fp32"/>) it is the plain FP32 network, used to pick the ranges (max |x| per tensor).
/// </summary>
internal sealed class FakeQuantOracle
{
    private readonly IReadOnlyDictionary<string, float>? _thresholds;
    private readonly ISet<string> _quantized;
    private readonly IReadOnlyDictionary<string, float[]>? _forced;
    private readonly int _n;

    // What the later layers read: the oracle's own value, or the engine's where it is forced.
    private readonly Dictionary<string, double[]> _values = new(StringComparer.Ordinal);

    // The oracle's own value of every tensor (from the values its layer read).
    private readonly Dictionary<string, double[]> _computed = new(StringComparer.Ordinal);

    private FakeQuantOracle(IReadOnlyDictionary<string, float>? thresholds, ISet<string> quantized, int n, IReadOnlyDictionary<string, float[]>? forced = null)
    {
        _thresholds = thresholds;
        _quantized = quantized;
        _n = n;
        _forced = forced;
    }

    /// <summary>Every tensor's FP32 value (NCHW, batch n) by name.</summary>
    public static Dictionary<string, double[]> Fp32(NetworkDefinition net, IReadOnlyDictionary<string, float[]> inputs, int n) =>
        new FakeQuantOracle(null, new HashSet<string>(), n).Run(net, inputs);

    /// <summary>
    /// Every tensor's fake-quantized value by name: tensors named in <paramref name="quantized"/> pass through QDQ with
    /// their threshold from <paramref name="thresholds"/>; weights and biases of convolution-like layers whose input is
    /// quantized are quantized as above.
    /// </summary>
    public static Dictionary<string, double[]> Int8(
        NetworkDefinition net, IReadOnlyDictionary<string, float[]> inputs, int n, IReadOnlyDictionary<string, float> thresholds, ISet<string> quantized) =>
        new FakeQuantOracle(thresholds, quantized, n).Run(net, inputs);

    /// <summary>
    /// Layer by layer against the engine: as <see cref="Int8"/>, but every tensor named in <paramref name="engineValues"/>
    /// (what the engine computed, dequantized) is read by the layers after it in the engine's value, so each returned
    /// tensor is the oracle's answer to exactly the inputs the engine's step had: the difference is that step's alone.
    /// </summary>
    public static Dictionary<string, double[]> LayerByLayer(
        NetworkDefinition net, IReadOnlyDictionary<string, float[]> inputs, int n, IReadOnlyDictionary<string, float> thresholds, ISet<string> quantized,
        IReadOnlyDictionary<string, float[]> engineValues)
    {
        var oracle = new FakeQuantOracle(thresholds, quantized, n, engineValues);
        oracle.Run(net, inputs);
        return oracle._computed;
    }

    /// <summary>max |x| of every tensor of the FP32 network (1 for an all-zero tensor).</summary>
    public static Dictionary<string, float> Ranges(NetworkDefinition net, IReadOnlyDictionary<string, float[]> inputs, int n) =>
        Fp32(net, inputs, n).ToDictionary(p => p.Key, p => p.Value.Max(Math.Abs) is var m and > 0 ? (float)m : 1f, StringComparer.Ordinal);

    /// <summary>s = f32(T / 127) (float, as the README's formula).</summary>
    public static float ScaleOf(float threshold) => threshold / 127f;

    // q = clamp(round_half_even(x · f32(1 / s)), −127, 127); NaN → 0; returns s · q.
    private static double Qdq(double x, float s)
    {
        if (double.IsNaN(x))
        {
            return 0;
        }

        var inv = 1f / s;
        var q = Math.Clamp(Math.Round(x * inv, MidpointRounding.ToEven), -127, 127);
        return q * (double)s;
    }

    private Dictionary<string, double[]> Run(NetworkDefinition net, IReadOnlyDictionary<string, float[]> inputs)
    {
        foreach (var t in net.Inputs)
        {
            Store(t.Name, [.. inputs[t.Name].Select(v => (double)v)]);
        }

        foreach (var layer in net.Validate())
        {
            Store(layer.Output.Name, Evaluate(layer));
        }

        return _computed;
    }

    private void Store(string name, double[] value)
    {
        if (_thresholds is not null && _quantized.Contains(name))
        {
            var s = ScaleOf(_thresholds[name]);
            for (var i = 0; i < value.Length; i++)
            {
                value[i] = Qdq(value[i], s);
            }
        }

        _computed[name] = value;
        _values[name] = _forced is not null && _forced.TryGetValue(name, out var engine) ? [.. engine.Select(v => (double)v)] : value;
    }

    // The scale of a quantized input, or null when the tensor is float in the engine (weights then stay float too).
    private float? InputScale(Tensor t) => _thresholds is not null && _quantized.Contains(t.Name) ? ScaleOf(_thresholds[t.Name]) : null;

    private double[] In(Layer layer, int i) => _values[layer.Inputs[i].Name];

    private double[] Evaluate(Layer layer)
    {
        var x = layer.Inputs.Count > 0 ? layer.Inputs[0].Dims : default;
        var y = layer.Output.Dims;
        return layer switch
        {
            ConvolutionLayer c => OracleOps.Convolution(In(c, 0), _n, x, y, c, QuantizedWeights(c.Weights.Span, c.OutputChannels, c.Bias, InputScale(c.Inputs[0]))),
            DeconvolutionLayer d => OracleOps.Deconvolution(In(d, 0), _n, x, y, d, QuantizedWeights(OracleOps.DeconvRows(d, x.C), d.OutputChannels, d.Bias, InputScale(d.Inputs[0]))),
            FullyConnectedLayer f => OracleOps.FullyConnected(In(f, 0), _n, QuantizedWeights(f.Weights.Span, f.OutputCount, f.Bias, InputScale(f.Inputs[0]))),
            ActivationLayer a => [.. In(a, 0).Select(v => OracleOps.Activate(v, a.Activation))],
            PoolingLayer p => OracleOps.Pool(In(p, 0), _n, x, y, p),
            BatchNormLayer bn => OracleOps.PerChannel(In(bn, 0), x, (v, c) => (bn.Gamma.Span[c] * (v - bn.Mean.Span[c]) / Math.Sqrt(bn.Variance.Span[c] + (double)bn.Epsilon)) + bn.Beta.Span[c]),
            ScaleLayer s => OracleOps.Scale(In(s, 0), x, s),
            ElementWiseLayer e => OracleOps.Binary(Batch(In(e, 0), e.Inputs[0]), Batch(In(e, 1), e.Inputs[1]), e.Operation),
            LrnLayer l => OracleOps.Lrn(In(l, 0), _n, x, l),
            SoftMaxLayer sm => OracleOps.SoftMax(In(sm, 0), x.Nchw(sm.Axis, _n)),
            ConcatenationLayer cat => OracleOps.Concat([.. cat.Inputs.Select(t => (Batch(_values[t.Name], t), t.Dims))], _n, cat.Axis, y),
            PaddingLayer pad => OracleOps.Pad(In(pad, 0), _n, x, y, pad),
            ReshapeLayer => (double[])In(layer, 0).Clone(),
            ConstantLayer k => [.. k.Values.ToArray().Select(v => (double)v)],
            _ => throw new NotSupportedException($"The oracle has no {layer.Type} layer."),
        };
    }

    // A constant (one item) repeated to the batch; activations are already batches.
    private double[] Batch(double[] v, Tensor t) => t.Producer is ConstantLayer && _n > 1 ? [.. Enumerable.Repeat(v, _n).SelectMany(a => a)] : v;

    // Rows of the weights (one per output channel) fake-quantized per row when the input is quantized, the bias at the
    // accumulator's scale s_x · s_w[k].
    private static OracleWeights QuantizedWeights(ReadOnlySpan<float> rows, int count, ReadOnlyMemory<float> bias, float? inputScale)
    {
        var length = rows.Length / count;
        var w = new double[rows.Length];
        var b = new double[count];
        for (var k = 0; k < count; k++)
        {
            var row = rows.Slice(k * length, length);
            var max = 0f;
            foreach (var v in row)
            {
                max = Math.Max(max, Math.Abs(v));
            }

            var sw = max > 0f ? max / 127f : 1f;
            for (var i = 0; i < length; i++)
            {
                w[(k * length) + i] = inputScale is null ? row[i] : Qdq(row[i], sw);
            }

            var bk = bias.IsEmpty ? 0d : bias.Span[k];
            var accScale = (double)(inputScale ?? 0f) * sw;
            b[k] = inputScale is null ? bk : Math.Round(bk / accScale, MidpointRounding.ToEven) * accScale;
        }

        return new OracleWeights(w, b, length);
    }
}

/// <summary>Weights as rows (one per output channel, in the layer's own order within a row) and a bias per row.</summary>
internal sealed record OracleWeights(double[] W, double[] B, int RowLength);
