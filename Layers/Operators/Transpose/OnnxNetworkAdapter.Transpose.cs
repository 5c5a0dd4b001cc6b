using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Onnx;

/// <summary>The general transpose of one item.</summary>
internal sealed partial class OnnxNetworkAdapter
{
    /// <summary>Transpose with perm[0] = 0: each item [d1, …] permuted by perm[1..] − 1 into the output's item dims.</summary>
    internal Layer Transpose(TransposeSpec t, string name)
    {
        var shape = _layer.Inputs[0].Shape;
        if (t.Perm.Length != shape.Count || t.Perm[0] != 0)
        {
            throw Unsupported($"perm [{string.Join(", ", t.Perm)}] moves the batch dimension");
        }

        if (shape.Skip(1).Any(d => d is <= 0 or > int.MaxValue))
        {
            throw Unsupported($"dimensions of [{string.Join(", ", shape)}] out of range");
        }

        int[] item = [.. shape.Skip(1).Select(d => (int)d)];
        int[] perm = [.. t.Perm.Skip(1).Select(p => (int)p - 1)];
        return _net.AddTranspose(In(0), item, perm, OutputDims, name);
    }
}
