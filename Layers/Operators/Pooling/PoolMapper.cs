using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Onnx;

/// <summary>
/// MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool → <see cref="PoolingSpec"/> (1-D as 2-D with height 1);
/// the output size is <see cref="SpatialAttributes.OutputSize"/> (floor, or ceil_mode's PyTorch rule). 3-D pooling and
/// dilated max pooling are composed of 2-D pooling layers, views, slices and maxima (<see cref="PoolDecompositions"/>).
/// </summary>
internal sealed class PoolMapper : IOnnxOpMapper
{
    public IReadOnlyList<string> OpTypes { get; } = ["MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool"];

    public IReadOnlyList<int> ConstantInputs(OnnxNode node) => [];

    public void Map(OnnxNode node, OnnxMapContext context)
    {
        var x = context.Runtime(node, 0);
        bool max = node.OpType is "MaxPool" or "GlobalMaxPool";
        if (x.Shape.Count == 5)
        {
            PoolDecompositions.Pool3D(node, context, x, max);
            return;
        }
        if (x.Shape.Count is not (3 or 4))
        {
            throw node.Unsupported($"input rank {x.Shape.Count} (only NCL, NCHW and NCDHW)");
        }
        var (h, w) = SpatialAttributes.Plane(x.Shape);
        if (node.OpType.StartsWith("Global", StringComparison.Ordinal))
        {
            var global = new PoolingSpec(max, ((int)h, (int)w), (1, 1), (0, 0, 0, 0), false, false, true);
            context.AddLayer(node, global, [x], SpatialAttributes.OutputShape(x.Shape, x.Shape[1], 1, 1));
            return;
        }
        if (max && node.Outputs.Count > 1 && node.Outputs[1].Length > 0)
        {
            throw node.Unsupported("the Indices output");
        }
        var a = SpatialAttributes.Read(node, x.Shape.Count - 2, null);
        bool ceil = node.GetInt("ceil_mode", 0) != 0;
        if (a.Dilation != (1, 1))
        {
            Dilated(node, context, x, a, max, ceil, h, w);
            return;
        }
        bool countPad = !max && node.GetInt("count_include_pad", 0) != 0;
        var pads = a.ForwardPads(h, w);
        if (pads.Top >= a.Kernel.H || pads.Bottom >= a.Kernel.H || pads.Left >= a.Kernel.W || pads.Right >= a.Kernel.W)
        {
            throw node.Unsupported($"pads {pads} as large as the {a.Kernel} window (windows of padding only)");
        }
        var (p, q) = a.ForwardOutput(h, w, pads, ceil);
        if (p <= 0 || q <= 0)
        {
            throw node.Error($"the {a.Kernel} window does not fit the padded {h}x{w} input.");
        }
        var spec = new PoolingSpec(max, a.Kernel, a.Stride, pads, ceil, countPad, false);
        context.AddLayer(node, spec, [x], SpatialAttributes.OutputShape(x.Shape, x.Shape[1], p, q));
    }

    // Dilated max pooling as the maximum of slices (PoolDecompositions.DilatedMax); ceil_mode only where it changes nothing.
    private static void Dilated(OnnxNode node, OnnxMapContext context, ImportedTensor x, SpatialAttributes a, bool max, bool ceil, long h, long w)
    {
        if (!max)
        {
            throw node.Unsupported($"dilations {a.Dilation} in average pooling");
        }
        var pads = a.ForwardPads(h, w);
        if (pads.Top >= a.Kernel.H || pads.Bottom >= a.Kernel.H || pads.Left >= a.Kernel.W || pads.Right >= a.Kernel.W)
        {
            throw node.Unsupported($"pads {pads} as large as the {a.Kernel} window (windows of padding only)");
        }
        var output = a.ForwardOutput(h, w, pads);
        if (ceil && a.ForwardOutput(h, w, pads, true) != output)
        {
            throw node.Unsupported($"ceil_mode with dilations {a.Dilation} where it adds a window past the input");
        }
        if (output.H <= 0 || output.W <= 0)
        {
            throw node.Error($"the dilated {a.Kernel} window does not fit the padded {h}x{w} input.");
        }
        PoolDecompositions.DilatedMax(node, context, x, a, pads, output);
    }
}

/// <summary>MaxPool / AveragePool / global pools → a pooling layer.</summary>
public sealed partial record PoolingSpec
{
    internal override Layer AddTo(OnnxNetworkAdapter adapter, string name) => adapter.Pooling(this, adapter.In(0), name);
}
