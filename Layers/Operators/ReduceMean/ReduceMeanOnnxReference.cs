namespace ILGPUInt8.Layers.Onnx.Reference;

/// <summary>ReduceMean over consecutive dimensions [a, b) of the batched tensor: y[o][i] = (1/r)·Σ_k x[o][k][i].</summary>
internal sealed class ReduceMeanOnnxReference : OnnxEvaluator<ReduceMeanSpec>
{
    /// <inheritdoc />
    protected override ReferenceTensor Evaluate(ReduceMeanSpec spec, IReadOnlyList<ReferenceTensor> x, long[] shape)
    {
        var s = x[0].Shape;
        long outer = s.Take(spec.First).Aggregate(1L, (a, d) => a * d);
        long r = s.Skip(spec.First).Take(spec.Count).Aggregate(1L, (a, d) => a * d);
        long inner = s.Skip(spec.First + spec.Count).Aggregate(1L, (a, d) => a * d);
        var y = new float[outer * inner];
        for (long o = 0; o < outer; o++)
        {
            for (long i = 0; i < inner; i++)
            {
                double sum = 0;
                for (long k = 0; k < r; k++)
                {
                    sum += x[0].Data[(((o * r) + k) * inner) + i];
                }

                y[(o * inner) + i] = (float)(sum / r);
            }
        }

        return new ReferenceTensor(shape, y);
    }
}
