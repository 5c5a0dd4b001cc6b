namespace ILGPUInt8.Training.Layers;

/// <summary>
/// Flattens an NHWC item into the NCHW order ONNX uses (y[n][c·H·W + h·W + w] = x[n,h,w,c]), so fully connected
/// weights keep their ONNX layout; the backward pass is the inverse permutation.
/// </summary>
public sealed class Flatten(string name, FeatureShape input) : ITrainLayer
{
    private int _batch;

    /// <inheritdoc />
    public string Name { get; } = name;

    /// <inheritdoc />
    public FeatureShape Input { get; } = input;

    /// <inheritdoc />
    public FeatureShape Output { get; } = new(1, 1, input.Volume);

    /// <inheritdoc />
    public IReadOnlyList<Parameter> Parameters { get; } = [];

    /// <inheritdoc />
    public float[] Forward(float[] x, int batch)
    {
        _batch = batch;
        var y = new float[x.Length];
        Permute(x, y, toNchw: true);
        return y;
    }

    /// <inheritdoc />
    public float[]? Backward(float[] dy, bool needInputGradient)
    {
        if (!needInputGradient)
        {
            return null;
        }

        var dx = new float[dy.Length];
        Permute(dy, dx, toNchw: false);
        return dx;
    }

    private void Permute(float[] from, float[] to, bool toNchw)
    {
        int hw = Input.H * Input.W, c = Input.C, v = Input.Volume;
        for (var n = 0; n < _batch; n++)
        {
            for (var pixel = 0; pixel < hw; pixel++)
            {
                for (var ch = 0; ch < c; ch++)
                {
                    int nhwc = (n * v) + (pixel * c) + ch, nchw = (n * v) + (ch * hw) + pixel;
                    if (toNchw)
                    {
                        to[nchw] = from[nhwc];
                    }
                    else
                    {
                        to[nhwc] = from[nchw];
                    }
                }
            }
        }
    }
}
