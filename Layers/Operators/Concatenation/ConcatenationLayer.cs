using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Operators;

/// <summary>
/// Concatenation along one item axis (channels by default) of inputs that agree on the other two dimensions: along
/// channels the output is (Σ C_i, H, W), along height (C, Σ H_i, W), along width (C, H, Σ W_i).
/// </summary>
public sealed class ConcatenationLayer : Layer
{
    internal ConcatenationLayer(string name, IEnumerable<Tensor> inputs, ItemAxis axis = ItemAxis.Channel)
        : base(name, inputs)
    {
        Axis = Enum.IsDefined(axis) ? axis : throw new ArgumentOutOfRangeException(nameof(axis), axis, "Unknown axis.");
    }

    /// <inheritdoc />
    public override LayerType Type => LayerType.Concatenation;

    /// <summary>The axis the inputs are joined along.</summary>
    public ItemAxis Axis { get; }

    /// <summary>
    /// The block copies both backends make: NHWC seen as [outer, length, inner] along <see cref="Axis"/>
    /// (<see cref="TensorDims.Nhwc"/>; outer grows with the batch, the rest does not); input i's blocks of length_i·inner
    /// values go to offset Σ_{j&lt;i} length_j·inner of each of the outer output blocks of total = length·inner values.
    /// </summary>
    internal (int Total, (int Block, int Offset)[] Inputs) NhwcBlocks(TensorDims output, IReadOnlyList<TensorDims> inputs)
    {
        var (_, length, inner) = output.Nhwc(Axis, 1);
        var blocks = new (int Block, int Offset)[inputs.Count];
        for (int i = 0, offset = 0; i < inputs.Count; i++)
        {
            blocks[i] = (inputs[i].Size(Axis) * inner, offset);
            offset += blocks[i].Block;
        }

        return (length * inner, blocks);
    }

    /// <inheritdoc />
    // Each input seen as [outer, length_i, inner] along the axis: y[o] = x_0[o] ‖ x_1[o] ‖ … (the blocks of length_i·inner).
    internal override float[] EvaluateConstant(IReadOnlyList<float[]> inputs, IReadOnlyList<TensorDims> dims)
    {
        var y = new float[inputs.Sum(x => x.LongLength)];
        var (outer, _, _) = dims[0].Nchw(Axis, 1);
        long at = 0;
        for (var o = 0; o < outer; o++)
        {
            for (var part = 0; part < inputs.Count; part++)
            {
                var (_, length, inner) = dims[part].Nchw(Axis, 1);
                long block = (long)length * inner;
                Array.Copy(inputs[part], o * block, y, at, block);
                at += block;
            }
        }

        return y;
    }

    /// <inheritdoc />
    internal override TensorDims InferOutput(IReadOnlyList<TensorDims> inputs)
    {
        if (inputs.Count < 1)
        {
            throw Error("needs at least one input.");
        }

        var sum = 0L;
        var first = inputs[0];
        foreach (var d in inputs)
        {
            bool agree = Axis switch
            {
                ItemAxis.Channel => d.H == first.H && d.W == first.W,
                ItemAxis.Height => d.C == first.C && d.W == first.W,
                _ => d.C == first.C && d.H == first.H,
            };
            if (!agree)
            {
                throw Error($"inputs must agree on every dimension but {Axis}: {first} and {d}.");
            }

            sum += d.Size(Axis);
        }

        if (sum > int.MaxValue)
        {
            throw Error($"the {Axis} dimension is too large.");
        }

        return Axis switch
        {
            ItemAxis.Channel => first with { C = (int)sum },
            ItemAxis.Height => first with { H = (int)sum },
            _ => first with { W = (int)sum },
        };
    }

    /// <inheritdoc />
    internal override void WriteParameters(BinaryWriter writer) => writer.Write((int)Axis);

    /// <summary>Reads what <see cref="WriteParameters"/> wrote.</summary>
    internal static ConcatenationLayer Read(string name, BinaryReader r) => new(name, [], r.ReadEnum<ItemAxis>());

    /// <inheritdoc />
    // Integer-only: each input rescaled with a Q31 multiplier (IntegerRescale).
    internal override string? IntegerOnlyLimit => null;
}
