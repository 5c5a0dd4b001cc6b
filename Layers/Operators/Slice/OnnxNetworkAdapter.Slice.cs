using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Onnx;

/// <summary>The ONNX side of the slice: the item axis of the sliced dimension.</summary>
internal sealed partial class OnnxNetworkAdapter
{
    /// <summary>
    /// A (strided) slice of dimension a: along the item axis it names up to rank 4; above, through a C-order view
    /// (d_1·…·d_(a−1), d_a, d_(a+1)·…) sliced along H and reshaped back.
    /// </summary>
    internal Layer Slice(SliceSpec s, string name)
    {
        var shape = _layer.Inputs[0].Shape;
        if (shape.Count <= 4)
        {
            return _net.AddSlice(In(0), ItemAxisOf(shape, s.Axis, "slice"), s.Start, s.Length, s.Step, name);
        }

        long outer = shape.Skip(1).Take(s.Axis - 1).Aggregate(1L, (a, b) => a * b), inner = shape.Skip(s.Axis + 1).Aggregate(1L, (a, b) => a * b);
        if (outer > int.MaxValue || inner > int.MaxValue)
        {
            throw Unsupported("too many elements");
        }

        var view = _net.AddReshape(In(0), new TensorDims((int)outer, (int)shape[s.Axis], (int)inner), Unique($"{name}/view"));
        var sliced = _net.AddSlice(view.Output, ItemAxis.Height, s.Start, s.Length, s.Step, Unique($"{name}/slice"));
        return Reshape(sliced.Output, OutputDims, name);
    }
}
