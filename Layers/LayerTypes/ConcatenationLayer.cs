namespace ILGPUInt8.Layers;

/// <summary>Concatenation along channels of inputs with equal H and W: output (Σ C_i, H, W).</summary>
public sealed class ConcatenationLayer : Layer
{
    internal ConcatenationLayer(string name, IEnumerable<Tensor> inputs)
        : base(name, inputs)
    {
    }

    /// <inheritdoc />
    public override LayerType Type => LayerType.Concatenation;

    /// <inheritdoc />
    internal override TensorDims InferOutput(IReadOnlyList<TensorDims> inputs)
    {
        if (inputs.Count < 1)
        {
            throw Error("needs at least one input.");
        }

        var c = 0L;
        foreach (var d in inputs)
        {
            if (d.H != inputs[0].H || d.W != inputs[0].W)
            {
                throw Error($"inputs must share H and W: {inputs[0]} and {d}.");
            }

            c += d.C;
        }

        return c > int.MaxValue ? throw Error("too many channels.") : new TensorDims((int)c, inputs[0].H, inputs[0].W);
    }

    /// <inheritdoc />
    internal override void WriteParameters(BinaryWriter writer)
    {
    }

    /// <summary>Reads what <see cref="WriteParameters"/> wrote.</summary>
    internal static ConcatenationLayer Read(string name, BinaryReader r) => new(name, []);
}
