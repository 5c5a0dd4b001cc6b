namespace ILGPUInt8.Layers.Onnx.Reference;

/// <summary>The ONNX Transpose perm [0, 2, 1, 3, 4] on [N, g, C/g, H, W], element by element.</summary>
internal sealed class ChannelShuffleOnnxReference : OnnxEvaluator<ChannelShuffleSpec>
{
    /// <inheritdoc />
    protected override ReferenceTensor Evaluate(ChannelShuffleSpec spec, IReadOnlyList<ReferenceTensor> x, long[] shape)
    {
        var s = x[0].Shape;
        long n = s[0], a = s[1], b = s[2], plane = s[3] * s[4];
        var y = new float[x[0].Data.Length];
        for (long i = 0; i < n; i++)
        {
            for (long p = 0; p < a; p++)
            {
                for (long q = 0; q < b; q++)
                {
                    for (long e = 0; e < plane; e++)
                    {
                        // y[i][q][p][e] = x[i][p][q][e]
                        y[(((((i * b) + q) * a) + p) * plane) + e] = x[0].Data[(((((i * a) + p) * b) + q) * plane) + e];
                    }
                }
            }
        }

        return new ReferenceTensor(shape, y);
    }
}
