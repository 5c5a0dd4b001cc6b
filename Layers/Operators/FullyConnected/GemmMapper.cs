using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Onnx;

/// <summary>
/// Gemm and MatMul (+ a following Add of a constant bias) with a run-time [N, K] input and constant weights →
/// <see cref="FullyConnectedSpec"/>: Gemm y = alpha·A·op(B) + beta·C becomes W[m, k] = alpha·op(B)[k, m], bias = beta·C.
/// Stacks of matrices, transA = 1, a bias varying along the rows and tensors taken whole go to <see cref="BatchedMatMulMapping"/>.
/// </summary>
internal sealed class GemmMapper : IOnnxOpMapper
{
    public IReadOnlyList<string> OpTypes { get; } = ["Gemm", "MatMul"];

    public IReadOnlyList<int> ConstantInputs(OnnxNode node) => node.OpType == "Gemm" ? [1, 2] : [1];

    public void Map(OnnxNode node, OnnxMapContext context)
    {
        var a = context.Runtime(node, 0);
        var b = context.Constant(node, 1, "the weights B");
        bool gemm = node.OpType == "Gemm";
        bool transA = gemm && node.GetInt("transA", 0) != 0;
        bool transB = gemm && node.GetInt("transB", 0) != 0;
        var c = gemm ? context.OptionalConstant(node, 2, "the bias C") : null;
        if (context.UnitBatch || a.Shape.Count != 2 || b.Tensor.Dims.Count != 2 || transA
            || (c is not null && !IsRowBias(c.Tensor, transB ? b.Tensor.Dims[0] : b.Tensor.Dims[1])))
        {
            BatchedMatMulMapping.Map(node, context, a, b, c, transA);
            return;
        }
        float alpha = gemm ? node.GetFloat("alpha", 1f) : 1f;
        float beta = gemm ? node.GetFloat("beta", 1f) : 1f;
        int k = (int)(transB ? b.Tensor.Dims[1] : b.Tensor.Dims[0]);
        int m = (int)(transB ? b.Tensor.Dims[0] : b.Tensor.Dims[1]);
        if (k != a.Shape[1])
        {
            throw node.Error($"input {OnnxShapes.Format(a.Shape)} and weights [{string.Join(", ", b.Tensor.Dims)}] (transB={transB}) do not multiply.");
        }
        float[] source = ConvMapper.Weights(node, b);
        var weights = new float[(long)m * k];
        for (int mi = 0; mi < m; mi++)
        {
            for (int ki = 0; ki < k; ki++)
            {
                weights[((long)mi * k) + ki] = alpha * (transB ? source[((long)mi * k) + ki] : source[((long)ki * m) + mi]);
            }
        }
        var int8 = Int8Weights(node, b, transB, m, k, alpha);

        float[]? bias = null;
        int output = 0;
        OnnxNode outputNode = node;
        if (c is not null)
        {
            bias = BiasFrom(node, c.Tensor, m, beta);
        }
        else if (!gemm && FollowingBiasAdd(node, context, m) is var (add, addBias))
        {
            // MatMul + Add(constant [M]) is one fully connected layer with a bias.
            bias = addBias;
            outputNode = add;
            context.MarkHandled(add);
        }
        var spec = new FullyConnectedSpec(weights, m, k, bias, int8);
        context.AddLayer(outputNode, spec, [a], [a.Shape[0], m], output);
    }

    private static QuantizedWeights? Int8Weights(OnnxNode node, ConstantValue b, bool transB, int m, int k, float alpha)
    {
        if (b.Quant is not { } q)
        {
            return null;
        }
        // The output channel is B's axis 1 ([K, M]) or axis 0 with transB ([M, K]); store [M, K] with axis 0.
        int outputAxis = transB ? 0 : 1;
        if (q.Scales.Length > 1 && q.Axis != outputAxis)
        {
            throw node.Unsupported($"weights quantized along axis {q.Axis} (only per output channel, axis {outputAxis}, or per tensor)");
        }
        if (!(alpha > 0f))
        {
            return null; // A negative alpha flips the integers; the float weights carry it, the int8 form is dropped.
        }
        var values = new long[(long)m * k];
        for (int mi = 0; mi < m; mi++)
        {
            for (int ki = 0; ki < k; ki++)
            {
                values[((long)mi * k) + ki] = transB ? q.Values[((long)mi * k) + ki] : q.Values[((long)ki * m) + mi];
            }
        }
        // alpha·(q − z)·s = (q − z)·(alpha·s).
        return q with { Values = values, Axis = 0, Scales = [.. q.Scales.Select(s => s * alpha)] };
    }

    /// <summary>True when C is the same for every row of [N, M]: a scalar, [M] or [1, M].</summary>
    private static bool IsRowBias(OnnxTensor c, long m) =>
        c.ElementCount == 1 || (c.ElementCount == m && (c.Dims.Count == 1 || (c.Dims.Count == 2 && c.Dims[0] == 1)));

    /// <summary>Bias from C broadcast to [N, M]: a scalar, [M] or [1, M] (a per-row C cannot be a bias).</summary>
    internal static float[] BiasFrom(OnnxNode node, OnnxTensor c, int m, float beta)
    {
        var dims = c.Dims;
        bool perColumn = c.ElementCount == m && (dims.Count == 1 || (dims.Count == 2 && dims[0] == 1));
        bool scalar = c.ElementCount == 1;
        if (!perColumn && !scalar)
        {
            throw node.Unsupported($"a bias of shape [{string.Join(", ", dims)}] (only a scalar, [M] or [1, M] with M = {m})");
        }
        float[] v = c.ToFloatArray();
        var bias = new float[m];
        for (int i = 0; i < m; i++)
        {
            bias[i] = beta * (scalar ? v[0] : v[i]);
        }
        return bias;
    }

    private static (OnnxNode Add, float[] Bias)? FollowingBiasAdd(OnnxNode node, OnnxMapContext context, int m)
    {
        string y = node.Outputs[0];
        if (!context.HasSingleConsumer(y))
        {
            return null;
        }
        var add = context.Graph.Consumers(y)[0];
        if (add.OpType != "Add" || !add.IsDefaultDomain || add.Inputs.Count != 2)
        {
            return null;
        }
        int other = add.Inputs[0] == y ? 1 : 0;
        if (add.Inputs[other] == y || !context.IsConstant(add, other))
        {
            return null;
        }
        var c = context.Constant(add, other, "the bias").Tensor;
        bool fits = c.ElementCount == m && c.Dims.Count >= 1 && c.Dims[^1] == m && c.Dims.Count <= 2;
        return fits && c.IsFloat ? (add, c.ToFloatArray()) : null;
    }
}

/// <summary>Gemm / MatMul → a fully connected layer (its QDQ int8 weights compared with the engine's).</summary>
public sealed partial record FullyConnectedSpec
{
    internal override Layer AddTo(OnnxNetworkAdapter adapter, string name)
    {
        adapter.CheckQdqWeights(Int8Weights, Weights, OutputCount, 0);
        return adapter.Network.AddFullyConnected(adapter.In(0), OutputCount, Weights, Bias, name);
    }
}
