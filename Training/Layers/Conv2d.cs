using ILGPUInt8.Kernels.Convolution;

namespace ILGPUInt8.Training.Layers;

/// <summary>
/// 2-D convolution, stride 1, symmetric zero padding, one group; weights W [K, C, R, S] (ONNX order), optional bias.
/// <para>Forward: y[n,p,q,k] = b[k] + Σ_{r,s,c} x[n, p+r−pad, q+s−pad, c] · W[k,c,r,s] (one SGEMM over im2col rows).</para>
/// <para>Data gradient: dx = conv(dy, W′, pad′ = R − 1 − pad) with W′[c,k,r,s] = W[k,c,R−1−r,S−1−s] (the transposed
/// convolution, again one SGEMM).</para>
/// <para>Weight gradient: dW[k][(r,s,c)] = Σ_m dy[m][k] · col[m][(r,s,c)] over the M = N·P·Q im2col rows, the SGEMM
/// dyᵀ · col; db[k] = Σ_m dy[m][k].</para>
/// </summary>
public sealed class Conv2d : ITrainLayer, IDeviceLayer
{
    private readonly int _k, _c, _r, _s, _pad;
    private float[]? _x;
    private TrainingDevice _device = TrainingDevice.Host;
    private int _batch;

    /// <summary>A convolution over <paramref name="input"/> with the given weights (owned).</summary>
    public Conv2d(string name, FeatureShape input, Parameter weight, Parameter? bias, int pad)
    {
        if (weight.Shape.Length != 4 || weight.Shape[1] != input.C)
        {
            throw new ArgumentException($"Conv '{name}': weights [{string.Join(", ", weight.Shape)}] do not fit {input.C} input channels.", nameof(weight));
        }

        (_k, _c, _r, _s, _pad) = (weight.Shape[0], weight.Shape[1], weight.Shape[2], weight.Shape[3], pad);
        if (pad < 0 || pad > _r - 1 || pad > _s - 1)
        {
            throw new ArgumentException($"Conv '{name}': padding {pad} must be in [0, kernel − 1] (the data gradient is a convolution padded by kernel − 1 − pad).", nameof(pad));
        }

        if (bias is not null && bias.Value.Length != _k)
        {
            throw new ArgumentException($"Conv '{name}': the bias has {bias.Value.Length} values for {_k} channels.", nameof(bias));
        }

        Name = name;
        Weight = weight;
        Bias = bias;
        Input = input;
        var p = Problem(1);
        p.Validate();
        Output = new FeatureShape(p.P, p.Q, _k);
        Parameters = bias is null ? [weight] : [weight, bias];
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>W [K, C, R, S].</summary>
    public Parameter Weight { get; }

    /// <summary>b [K] or null.</summary>
    public Parameter? Bias { get; }

    /// <inheritdoc />
    public FeatureShape Input { get; }

    /// <inheritdoc />
    public FeatureShape Output { get; }

    /// <inheritdoc />
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <inheritdoc />
    TrainingDevice IDeviceLayer.Device { get => _device; set => _device = value; }

    private int Taps => _r * _s * _c;

    private ConvProblem Problem(int batch) => new(batch, _c, Input.H, Input.W, _k, _r, _s, PadH: _pad, PadW: _pad);

    /// <inheritdoc />
    public float[] Forward(float[] x, int batch)
    {
        _x = x;
        _batch = batch;
        var krsc = new float[_k * Taps];
        for (var k = 0; k < _k; k++)
        {
            for (var c = 0; c < _c; c++)
            {
                for (var rs = 0; rs < _r * _s; rs++)
                {
                    krsc[(k * Taps) + (rs * _c) + c] = Weight.Value[(((k * _c) + c) * _r * _s) + rs];
                }
            }
        }

        var y = new float[batch * Output.Volume];
        _device.Convolve(x, Problem(batch), krsc, Bias is null ? [] : Bias.Value, y);
        return y;
    }

    /// <inheritdoc />
    public float[]? Backward(float[] dy, bool needInputGradient)
    {
        var x = _x ?? throw new InvalidOperationException($"Conv '{Name}': backward before forward.");
        int m = _batch * Output.H * Output.W, taps = Taps;

        // dW = dyᵀ · col: A = dyᵀ [K × M], B = colᵀ [taps × M].
        var dwKrsc = new float[_k * taps];
        _device.ConvolveWeightGradient(dy, x, Problem(_batch), dwKrsc);
        for (var k = 0; k < _k; k++)
        {
            for (var c = 0; c < _c; c++)
            {
                for (var rs = 0; rs < _r * _s; rs++)
                {
                    Weight.Grad[(((k * _c) + c) * _r * _s) + rs] = dwKrsc[(k * taps) + (rs * _c) + c];
                }
            }
        }

        if (Bias is not null)
        {
            // db[k] = Σ_m dy[m][k], summed in m order.
            Array.Clear(Bias.Grad);
            for (var i = 0; i < m; i++)
            {
                for (var k = 0; k < _k; k++)
                {
                    Bias.Grad[k] += dy[(i * _k) + k];
                }
            }
        }

        if (!needInputGradient)
        {
            return null;
        }

        // dx = conv(dy, W′): W′ KRSC [C][R][S][K] with W′[c][r][s][k] = W[k][c][R−1−r][S−1−s].
        var flipped = new float[_c * _r * _s * _k];
        for (var c = 0; c < _c; c++)
        {
            for (var r = 0; r < _r; r++)
            {
                for (var s = 0; s < _s; s++)
                {
                    for (var k = 0; k < _k; k++)
                    {
                        flipped[(((((c * _r) + r) * _s) + s) * _k) + k] = Weight.Value[(((((k * _c) + c) * _r) + (_r - 1 - r)) * _s) + (_s - 1 - s)];
                    }
                }
            }
        }

        var transposed = new ConvProblem(_batch, _k, Output.H, Output.W, _c, _r, _s, PadH: _r - 1 - _pad, PadW: _s - 1 - _pad);
        var dx = new float[_batch * Input.Volume];
        _device.Convolve(dy, transposed, flipped, [], dx);
        return dx;
    }
}
