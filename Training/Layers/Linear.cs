namespace ILGPUInt8.Training.Layers;

/// <summary>
/// Fully connected (ONNX Gemm with transB = 1): y[n][k] = b[k] + Σ_c x[n][c] · W[k][c], W [K, C].
/// Gradients, each one SGEMM: dx = dy · W (B = Wᵀ [C × K]); dW = dyᵀ · x (A = dyᵀ [K × N], B = xᵀ [C × N]);
/// db[k] = Σ_n dy[n][k].
/// </summary>
public sealed class Linear : ITrainLayer, IDeviceLayer
{
    private readonly int _k, _c;
    private float[]? _x;
    private TrainingDevice _device = TrainingDevice.Host;
    private int _batch;

    /// <summary>A fully connected layer over a vector of <c>input.Volume</c> values.</summary>
    public Linear(string name, FeatureShape input, Parameter weight, Parameter bias)
    {
        if (weight.Shape.Length != 2 || weight.Shape[1] != input.Volume || bias.Value.Length != weight.Shape[0])
        {
            throw new ArgumentException($"Gemm '{name}': weights [{string.Join(", ", weight.Shape)}] and bias [{bias.Value.Length}] do not fit an input of {input.Volume}.", nameof(weight));
        }

        (_k, _c) = (weight.Shape[0], weight.Shape[1]);
        Name = name;
        Weight = weight;
        Bias = bias;
        Input = input;
        Output = new FeatureShape(1, 1, _k);
        Parameters = [weight, bias];
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>W [K, C].</summary>
    public Parameter Weight { get; }

    /// <summary>b [K].</summary>
    public Parameter Bias { get; }

    /// <inheritdoc />
    public FeatureShape Input { get; }

    /// <inheritdoc />
    public FeatureShape Output { get; }

    /// <inheritdoc />
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <inheritdoc />
    TrainingDevice IDeviceLayer.Device { get => _device; set => _device = value; }

    /// <inheritdoc />
    public float[] Forward(float[] x, int batch)
    {
        _x = x;
        _batch = batch;
        var y = new float[batch * _k];
        _device.MultiplyTransposed(x, batch, _c, Weight.Value, _k, y);
        for (var n = 0; n < batch; n++)
        {
            for (var k = 0; k < _k; k++)
            {
                y[(n * _k) + k] += Bias.Value[k];
            }
        }

        return y;
    }

    /// <inheritdoc />
    public float[]? Backward(float[] dy, bool needInputGradient)
    {
        var x = _x ?? throw new InvalidOperationException($"Gemm '{Name}': backward before forward.");
        _device.MultiplyTransposedA(dy, _batch, _k, x, _c, Weight.Grad);
        Array.Clear(Bias.Grad);
        for (var n = 0; n < _batch; n++)
        {
            for (var k = 0; k < _k; k++)
            {
                Bias.Grad[k] += dy[(n * _k) + k];
            }
        }

        if (!needInputGradient)
        {
            return null;
        }

        var dx = new float[_batch * _c];
        _device.Multiply(dy, _batch, _k, Weight.Value, _c, dx);
        return dx;
    }
}
