using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Onnx;

/// <summary>The ONNX side of the channel multiply: Mul of run-time [N, C, H, W] and [N, C, 1, 1] (either order).</summary>
internal sealed partial class OnnxNetworkAdapter
{
    /// <summary>
    /// The current Mul as a <see cref="Operators.ChannelMultiplyLayer"/> when its operands are two run-time tensors, one
    /// [N, C, H, W] and the other [N, C, 1, 1] (squeeze-and-excitation); null otherwise.
    /// </summary>
    private Layer? ChannelMultiply(ElementWiseSpec e, string name)
    {
        if (e.Operation != OnnxElementWise.Product || _layer.Inputs.Count != 2 || _layer.Inputs.Any(t => _constants.ContainsKey(t.Id)))
        {
            return null;
        }

        var shape = _layer.Output.Shape;
        for (int big = 0; big < 2; big++)
        {
            var (x, s) = (_layer.Inputs[big].Shape, _layer.Inputs[1 - big].Shape);
            if (shape.Count == 4 && x.SequenceEqual(shape) && s.Count == 4 && s[1] == shape[1] && s[2] == 1 && s[3] == 1 && (shape[2] > 1 || shape[3] > 1))
            {
                return _net.AddChannelMultiply(In(big), In(1 - big), name);
            }
        }

        return null;
    }
}
