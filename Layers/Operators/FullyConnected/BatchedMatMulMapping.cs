namespace ILGPUInt8.Layers.Onnx;

/// <summary>
/// Gemm and MatMul where the fully connected layer does not fit (<see cref="GemmMapper"/>): an input above rank 2, weights
/// above rank 2, Gemm's transA = 1, a bias that varies along the rows, or any of them with the tensors taken whole
/// (<see cref="OnnxImportOptions.UnitBatch"/>) → <see cref="BatchedMatMulSpec"/>. Without the unit batch, dimension 0
/// is the batch: a product whose rows are the batch items, or whose weights or bias vary along it, is refused, and the
/// CLI retries with the tensors taken whole.
/// </summary>
internal static class BatchedMatMulMapping
{
    public static void Map(OnnxNode node, OnnxMapContext context, ImportedTensor a, ConstantValue b, ConstantValue? c, bool transA)
    {
        bool gemm = node.OpType == "Gemm";
        var bd = b.Tensor.Dims;
        if (a.Shape.Count < 2 || bd.Count < 2)
        {
            throw node.Unsupported($"a product of {OnnxShapes.Format(a.Shape)} and weights [{string.Join(", ", bd)}] (both must be matrices or stacks of them)");
        }

        bool unit = context.UnitBatch;
        if (!unit && a.Shape.Count == 2)
        {
            throw node.Unsupported(transA
                ? "transA = 1 with a [K, N] input (the run-time input would need a transpose across the batch)"
                : $"a bias of shape [{string.Join(", ", c?.Tensor.Dims ?? [])}] that varies along the batch (only a scalar, [M] or [1, M])");
        }

        bool transB = gemm && node.GetInt("transB", 0) != 0;
        float alpha = gemm ? node.GetFloat("alpha", 1f) : 1f;
        float beta = gemm ? node.GetFloat("beta", 1f) : 1f;
        long k = transB ? bd[^1] : bd[^2], n = transB ? bd[^2] : bd[^1];
        long ak = transA ? a.Shape[^2] : a.Shape[^1], m = transA ? a.Shape[^1] : a.Shape[^2];
        if (ak != k)
        {
            throw node.Error($"input {OnnxShapes.Format(a.Shape)} (transA={transA}) and weights [{string.Join(", ", bd)}] (transB={transB}) do not multiply.");
        }

        // W = alpha·op(B) as [b…, K, N], leading 1s dropped (they broadcast).
        float[] source = ConvMapper.Weights(node, b);
        var weights = new float[source.Length];
        for (long e = 0; e < weights.LongLength; e++)
        {
            long mat = e / (k * n), ki = e / n % k, ni = e % n;
            weights[e] = alpha * source[(mat * k * n) + (transB ? (ni * k) + ki : (ki * n) + ni)];
        }

        long[] wDims = [.. Trim([.. bd.SkipLast(2)]), k, n];
        int rank = Math.Max(a.Shape.Count, wDims.Length);
        var shape = new long[rank];
        for (int i = 0; i < rank - 2; i++)
        {
            long da = At(a.Shape, i, rank), dw = At(wDims, i, rank);
            bool batchAxis = !unit && i == rank - a.Shape.Count;
            if (batchAxis && dw != 1)
            {
                throw node.Unsupported($"weights [{string.Join(", ", bd)}] that vary along the batch dimension of {OnnxShapes.Format(a.Shape)}");
            }

            if (!unit && i < rank - a.Shape.Count)
            {
                throw node.Unsupported($"weights [{string.Join(", ", bd)}] of a higher rank than the input {OnnxShapes.Format(a.Shape)} (their dimensions would precede the batch)");
            }

            shape[i] = batchAxis || dw == 1 || da == dw ? da : da == 1 ? dw
                : throw node.Error($"input {OnnxShapes.Format(a.Shape)} and weights [{string.Join(", ", bd)}] do not broadcast.");
        }

        shape[^2] = m;
        shape[^1] = n;
        float[]? bias = null;
        long[] biasDims = [];
        if (c is not null)
        {
            var cd = c.Tensor.Dims;
            for (int i = 0; i < cd.Count; i++)
            {
                int at = rank - cd.Count + i;
                if (at < 0 || (cd[i] != 1 && (cd[i] != shape[at] || (!unit && at == 0))))
                {
                    throw node.Unsupported($"a bias of shape [{string.Join(", ", cd)}] that does not broadcast to {OnnxShapes.Format(shape)} without varying along the batch");
                }
            }

            bias = [.. c.Tensor.ToFloatArray().Select(v => beta * v)];
            biasDims = Trim(cd);
        }

        context.AddLayer(node, new BatchedMatMulSpec(weights, wDims, transA, bias, biasDims), [a], shape);
    }

    // Dimension i of the rank-r broadcast of dims (right-aligned; 1 where dims is shorter).
    private static long At(IReadOnlyList<long> dims, int i, int r) => i - (r - dims.Count) is var j && j >= 0 ? dims[j] : 1;

    private static long[] Trim(IReadOnlyList<long> dims) => [.. dims.SkipWhile(d => d == 1)];
}
