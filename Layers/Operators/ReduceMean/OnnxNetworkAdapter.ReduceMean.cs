using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Onnx;

/// <summary>The mean over consecutive dimensions of an item.</summary>
internal sealed partial class OnnxNetworkAdapter
{
    /// <summary>
    /// ReduceMean over ONNX dimensions [a, b) of [N, d1, …]: the item seen as (outer, r, inner) with outer = ∏ d[1, a),
    /// r = ∏ d[a, b), inner = ∏ d[b, …), an average pooling with window (r, 1) gives (outer, 1, inner): y = (1/r)·Σ_r x,
    /// then a view to the output's item dims.
    /// </summary>
    internal Layer ReduceMean(ReduceMeanSpec m, string name)
    {
        var s = _layer.Inputs[0].Shape;
        if (m.First < 1 || m.Count < 1 || m.First + m.Count > s.Count)
        {
            throw Unsupported($"ReduceMean over dimensions [{m.First}, {m.First + m.Count}) of [{string.Join(", ", s)}] (never the batch)");
        }

        long outer = s.Skip(1).Take(m.First - 1).Aggregate(1L, (a, d) => a * d);
        long r = s.Skip(m.First).Take(m.Count).Aggregate(1L, (a, d) => a * d);
        long inner = s.Skip(m.First + m.Count).Aggregate(1L, (a, d) => a * d);
        if (outer > int.MaxValue || r > int.MaxValue || inner > int.MaxValue)
        {
            throw Unsupported("too many elements");
        }

        var view = _net.AddReshape(In(0), new TensorDims((int)outer, (int)r, (int)inner), Unique($"{name}/view"));
        var pooled = _net.AddPooling(view.Output, PoolingType.Average, ((int)r, 1), (1, 1), (0, 0), (0, 0), false, false, Unique($"{name}/mean"));
        return Reshape(pooled.Output, OutputDims, name);
    }
}
