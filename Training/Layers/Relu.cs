namespace ILGPUInt8.Training.Layers;

/// <summary>y = max(x, 0); dx = dy where x &gt; 0, else 0.</summary>
public sealed class Relu(string name, FeatureShape shape) : ITrainLayer
{
    private float[]? _x;

    /// <inheritdoc />
    public string Name { get; } = name;

    /// <inheritdoc />
    public FeatureShape Input { get; } = shape;

    /// <inheritdoc />
    public FeatureShape Output { get; } = shape;

    /// <inheritdoc />
    public IReadOnlyList<Parameter> Parameters { get; } = [];

    /// <inheritdoc />
    public float[] Forward(float[] x, int batch)
    {
        _x = x;
        var y = new float[x.Length];
        for (var i = 0; i < y.Length; i++)
        {
            y[i] = x[i] > 0 ? x[i] : 0;
        }

        return y;
    }

    /// <inheritdoc />
    public float[]? Backward(float[] dy, bool needInputGradient)
    {
        var x = _x ?? throw new InvalidOperationException($"Relu '{Name}': backward before forward.");
        if (!needInputGradient)
        {
            return null;
        }

        var dx = new float[dy.Length];
        for (var i = 0; i < dx.Length; i++)
        {
            dx[i] = x[i] > 0 ? dy[i] : 0;
        }

        return dx;
    }
}
