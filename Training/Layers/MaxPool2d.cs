namespace ILGPUInt8.Training.Layers;

/// <summary>
/// Max pooling, window k × k, stride st, no padding: y[n,p,q,c] = max over the window of x; the backward pass sends dy to
/// the first maximum of each window (row-major within the window), the others get 0.
/// </summary>
public sealed class MaxPool2d : ITrainLayer
{
    private readonly int _kernel, _stride;
    private int[]? _argmax;
    private int _batch;

    /// <summary>A pooling over <paramref name="input"/>.</summary>
    public MaxPool2d(string name, FeatureShape input, int kernel, int stride)
    {
        if (kernel < 1 || stride < 1 || input.H < kernel || input.W < kernel)
        {
            throw new ArgumentException($"MaxPool '{name}': window {kernel}, stride {stride} do not fit {input}.", nameof(kernel));
        }

        Name = name;
        (_kernel, _stride) = (kernel, stride);
        Input = input;
        Output = new FeatureShape(((input.H - kernel) / stride) + 1, ((input.W - kernel) / stride) + 1, input.C);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public FeatureShape Input { get; }

    /// <inheritdoc />
    public FeatureShape Output { get; }

    /// <inheritdoc />
    public IReadOnlyList<Parameter> Parameters { get; } = [];

    /// <inheritdoc />
    public float[] Forward(float[] x, int batch)
    {
        _batch = batch;
        var y = new float[batch * Output.Volume];
        var argmax = _argmax = new int[y.Length];
        int c = Input.C;
        for (var n = 0; n < batch; n++)
        {
            for (var p = 0; p < Output.H; p++)
            {
                for (var q = 0; q < Output.W; q++)
                {
                    int o = (((n * Output.H) + p) * Output.W + q) * c;
                    for (var ch = 0; ch < c; ch++)
                    {
                        int best = -1;
                        float max = float.NegativeInfinity;
                        for (var r = 0; r < _kernel; r++)
                        {
                            for (var s = 0; s < _kernel; s++)
                            {
                                int i = (((((n * Input.H) + (p * _stride) + r) * Input.W) + (q * _stride) + s) * c) + ch;
                                if (best < 0 || x[i] > max)
                                {
                                    (best, max) = (i, x[i]);
                                }
                            }
                        }

                        y[o + ch] = max;
                        argmax[o + ch] = best;
                    }
                }
            }
        }

        return y;
    }

    /// <inheritdoc />
    public float[]? Backward(float[] dy, bool needInputGradient)
    {
        var argmax = _argmax ?? throw new InvalidOperationException($"MaxPool '{Name}': backward before forward.");
        if (!needInputGradient)
        {
            return null;
        }

        var dx = new float[_batch * Input.Volume];
        for (var i = 0; i < dy.Length; i++)
        {
            dx[argmax[i]] += dy[i];
        }

        return dx;
    }
}
