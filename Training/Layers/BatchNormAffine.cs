namespace ILGPUInt8.Training.Layers;

/// <summary>
/// Batch normalization in inference form: the running mean μ and variance σ² stay fixed (they are the model's), scale γ
/// and shift β train. y = γ[c] · (x − μ[c]) / √(σ²[c] + ε) + β[c].
/// Gradients: dγ[c] = Σ dy · x̂, dβ[c] = Σ dy with x̂ = (x − μ)/√(σ² + ε); dx = dy · γ[c] / √(σ²[c] + ε).
/// </summary>
public sealed class BatchNormAffine : ITrainLayer
{
    private readonly float[] _mean, _invStd;
    private float[]? _x;

    /// <summary>A batch norm over the channels of <paramref name="shape"/>.</summary>
    public BatchNormAffine(string name, FeatureShape shape, Parameter gamma, Parameter beta, float[] mean, float[] variance, float epsilon)
    {
        int c = shape.C;
        if (gamma.Value.Length != c || beta.Value.Length != c || mean.Length != c || variance.Length != c)
        {
            throw new ArgumentException($"BatchNormalization '{name}': parameters do not have {c} channels.", nameof(gamma));
        }

        Name = name;
        Input = Output = shape;
        Gamma = gamma;
        Beta = beta;
        Mean = mean;
        Variance = variance;
        Epsilon = epsilon;
        _mean = mean;
        _invStd = [.. variance.Select(v => (float)(1 / Math.Sqrt(v + (double)epsilon)))];
        Parameters = [gamma, beta];
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>γ.</summary>
    public Parameter Gamma { get; }

    /// <summary>β.</summary>
    public Parameter Beta { get; }

    /// <summary>μ (fixed).</summary>
    public float[] Mean { get; }

    /// <summary>σ² (fixed).</summary>
    public float[] Variance { get; }

    /// <summary>ε.</summary>
    public float Epsilon { get; }

    /// <inheritdoc />
    public FeatureShape Input { get; }

    /// <inheritdoc />
    public FeatureShape Output { get; }

    /// <inheritdoc />
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <inheritdoc />
    public float[] Forward(float[] x, int batch)
    {
        _x = x;
        int c = Input.C;
        var y = new float[x.Length];
        for (var i = 0; i < x.Length; i++)
        {
            int ch = i % c;
            y[i] = (Gamma.Value[ch] * ((x[i] - _mean[ch]) * _invStd[ch])) + Beta.Value[ch];
        }

        return y;
    }

    /// <inheritdoc />
    public float[]? Backward(float[] dy, bool needInputGradient)
    {
        var x = _x ?? throw new InvalidOperationException($"BatchNormalization '{Name}': backward before forward.");
        int c = Input.C;
        var dGamma = new double[c];
        var dBeta = new double[c];
        for (var i = 0; i < x.Length; i++)
        {
            int ch = i % c;
            dGamma[ch] += dy[i] * ((x[i] - _mean[ch]) * _invStd[ch]);
            dBeta[ch] += dy[i];
        }

        for (var ch = 0; ch < c; ch++)
        {
            Gamma.Grad[ch] = (float)dGamma[ch];
            Beta.Grad[ch] = (float)dBeta[ch];
        }

        if (!needInputGradient)
        {
            return null;
        }

        var dx = new float[x.Length];
        for (var i = 0; i < x.Length; i++)
        {
            int ch = i % c;
            dx[i] = dy[i] * Gamma.Value[ch] * _invStd[ch];
        }

        return dx;
    }
}
