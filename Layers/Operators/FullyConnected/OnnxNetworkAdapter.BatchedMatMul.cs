using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Onnx;

/// <summary>The batched matrix product as a grouped 1×1 convolution between two transposes.</summary>
internal sealed partial class OnnxNetworkAdapter
{
    /// <summary>
    /// <see cref="BatchedMatMulSpec"/> on an item of G = ∏ (output batch dimensions after the first) matrices: a[g] [M, K]
    /// is transposed to [K, M] (read as is with TransposeA) and seen as (G·K, 1, M), M positions of G·K channels; a 1×1
    /// convolution with G groups (one group when a is shared by all g) and weights w[g·N + n, k] = W[g, k, n] gives
    /// (G·N, 1, M): y[g, n, m] = Σ_k a[g, m, k]·W[g, k, n]; a transpose back gives [G, M, N]. A bias that varies only
    /// along n is the convolution's; any other is a constant added after.
    /// </summary>
    internal Layer BatchedMatMul(BatchedMatMulSpec s, string name)
    {
        var a = _layer.Inputs[0].Shape;
        var o = _layer.Output.Shape;
        int r = o.Count;
        if (r < 3 || a.Count < 3)
        {
            throw Unsupported($"a matrix product {OnnxShapes.Format(a)} → {OnnxShapes.Format(o)} whose rows are the batch items");
        }

        long m = o[r - 2], n = o[r - 1], k = s.TransposeA ? a[^2] : a[^1];
        long[] batch = [.. o.Skip(1).Take(r - 3)];
        long[] aBatch = [.. a.Skip(1).Take(a.Count - 3)];
        long g = batch.Aggregate(1L, (p, d) => p * d), ga = aBatch.Aggregate(1L, (p, d) => p * d);
        bool shared = ga == 1;
        if (!shared && !Enumerable.Repeat(1L, batch.Length - aBatch.Length).Concat(aBatch).SequenceEqual(batch))
        {
            throw Unsupported($"a run-time input {OnnxShapes.Format(a)} broadcast along some of the batch dimensions of {OnnxShapes.Format(o)} (only all or none)");
        }

        if (s.WeightDims.Length >= r && s.WeightDims[s.WeightDims.Length - r] != 1)
        {
            throw Unsupported("weights that vary along the batch dimension");
        }

        if (g * n > int.MaxValue || ga * k > int.MaxValue || m > int.MaxValue)
        {
            throw Unsupported("too many elements");
        }

        var wBatch = s.WeightDims[..^2];
        var weights = new float[g * n * k];
        for (long gi = 0; gi < g; gi++)
        {
            long wBase = BatchedMatMulSpec.Offset(wBatch, BatchedMatMulSpec.Unravel(gi, batch)) * k * n;
            for (long ni = 0; ni < n; ni++)
            {
                for (long ki = 0; ki < k; ki++)
                {
                    weights[(((gi * n) + ni) * k) + ki] = s.Weights[wBase + (ki * n) + ni];
                }
            }
        }

        // A bias constant along every dimension but the last is the convolution's bias[g·N + n] = C[n].
        bool columnBias = s.Bias is not null && s.BiasDims.SkipLast(1).All(d => d == 1);
        float[]? convBias = columnBias ? [.. Enumerable.Range(0, (int)(g * n)).Select(i => s.Bias![s.BiasDims.Length == 0 || s.BiasDims[^1] == 1 ? 0 : i % n])] : null;

        var cols = s.TransposeA
            ? _net.AddReshape(In(0), new TensorDims((int)(ga * k), 1, (int)m), Unique($"{name}/columns"))
            : (Layer)_net.AddTranspose(In(0), [(int)ga, (int)m, (int)k], [0, 2, 1], new TensorDims((int)(ga * k), 1, (int)m), Unique($"{name}/columns"));
        var conv = _net.AddConvolution(cols.Output, (int)(g * n), 1, weights, convBias, groups: shared ? 1 : (int)g, name: Unique($"{name}/matmul"));
        bool addBias = s.Bias is not null && !columnBias;
        var y = _net.AddTranspose(conv.Output, [(int)g, (int)n, (int)m], [0, 2, 1], OutputDims, addBias ? Unique($"{name}/rows") : name);
        if (!addBias)
        {
            return y;
        }

        // The bias broadcast to one output item: element e of [o1, …] reads C at its right-aligned index.
        long[] item = [.. o.Skip(1)];
        var tiled = new float[item.Aggregate(1L, (p, d) => p * d)];
        for (long e = 0; e < tiled.LongLength; e++)
        {
            tiled[e] = s.Bias![BatchedMatMulSpec.Offset(s.BiasDims, BatchedMatMulSpec.Unravel(e, item))];
        }

        var bias = _net.AddConstant(OutputDims, tiled, Unique($"{name}/bias"));
        return _net.AddElementWise(y.Output, bias.Output, ElementWiseOperation.Sum, name);
    }
}
