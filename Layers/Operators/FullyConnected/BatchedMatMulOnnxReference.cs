namespace ILGPUInt8.Layers.Onnx.Reference;

/// <summary>
/// The batched matrix product with numpy broadcasting: for each output batch index b…,
/// y[b…, m, n] = Σ_k a[b…, m, k]·W[b…, k, n] + C[b…, m, n] (a read transposed with TransposeA; size-1 dimensions repeat).
/// </summary>
internal sealed class BatchedMatMulOnnxReference : OnnxEvaluator<BatchedMatMulSpec>
{
    /// <inheritdoc />
    protected override ReferenceTensor Evaluate(BatchedMatMulSpec spec, IReadOnlyList<ReferenceTensor> x, long[] shape)
    {
        var a = x[0];
        int r = shape.Length;
        long m = shape[r - 2], n = shape[r - 1], k = spec.TransposeA ? a.Shape[^2] : a.Shape[^1];
        long[] batch = shape[..^2];
        long[] aBatch = a.Shape[..^2], wBatch = spec.WeightDims[..^2];
        long groups = batch.Aggregate(1L, (p, d) => p * d);
        var y = new float[groups * m * n];
        for (long g = 0; g < groups; g++)
        {
            var index = BatchedMatMulSpec.Unravel(g, batch);
            long aBase = BatchedMatMulSpec.Offset(aBatch, index) * m * k, wBase = BatchedMatMulSpec.Offset(wBatch, index) * k * n;
            for (long i = 0; i < m; i++)
            {
                for (long j = 0; j < n; j++)
                {
                    double sum = 0;
                    for (long q = 0; q < k; q++)
                    {
                        float av = a.Data[aBase + (spec.TransposeA ? (q * m) + i : (i * k) + q)];
                        sum += (double)av * spec.Weights[wBase + (q * n) + j];
                    }

                    long e = (((g * m) + i) * n) + j;
                    if (spec.Bias is { } c)
                    {
                        sum += c[BatchedMatMulSpec.Offset(spec.BiasDims, [.. index, i, j])];
                    }

                    y[e] = (float)sum;
                }
            }
        }

        return new ReferenceTensor(shape, y);
    }
}
