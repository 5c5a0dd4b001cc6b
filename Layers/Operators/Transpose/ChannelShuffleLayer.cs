using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Operators;

/// <summary>
/// Channel shuffle (ShuffleNet): the C channels seen as [groups][C/groups] are transposed to [C/groups][groups], so output
/// channel o = j·groups + i reads input channel i·(C/groups) + j. ONNX writes it as Reshape [N, g, C/g, H, W] →
/// Transpose perm [0, 2, 1, 3, 4] → Reshape [N, C, H, W]; the importer maps the Transpose (Layers/Operators/Transpose/).
/// A pure permutation: INT8 keeps the input's scale.
/// </summary>
public sealed class ChannelShuffleLayer : Layer, IItemGather
{
    internal ChannelShuffleLayer(string name, IEnumerable<Tensor> inputs, int groups)
        : base(name, inputs)
    {
        Groups = groups;
    }

    /// <inheritdoc />
    public override LayerType Type => LayerType.ChannelShuffle;

    /// <summary>The number of groups g (the size of the first of the two transposed channel dimensions).</summary>
    public int Groups { get; }

    /// <inheritdoc />
    internal override bool Int8KeepsInputScale => true;

    /// <summary>The input channel that output channel <paramref name="o"/> reads: i·(C/g) + j for o = j·g + i.</summary>
    internal static int SourceChannel(int o, int channels, int groups) => ((o % groups) * (channels / groups)) + (o / groups);

    /// <inheritdoc />
    // y[o][h][w] = x[(o mod g)·(C/g) + o / g][h][w] (NCHW, one item).
    internal override float[] EvaluateConstant(IReadOnlyList<float[]> inputs, IReadOnlyList<TensorDims> dims)
    {
        var d = dims[0];
        int plane = d.H * d.W;
        var y = new float[inputs[0].Length];
        for (int o = 0; o < d.C; o++)
        {
            Array.Copy(inputs[0], SourceChannel(o, d.C, Groups) * plane, y, o * plane, plane);
        }

        return y;
    }

    /// <inheritdoc />
    int[] IItemGather.ItemMap(TensorDims input, TensorDims output)
    {
        var map = new int[input.Volume];
        for (int p = 0; p < input.Plane; p++)
        {
            for (int o = 0; o < input.C; o++)
            {
                map[(p * input.C) + o] = (p * input.C) + SourceChannel(o, input.C, Groups);
            }
        }

        return map;
    }

    /// <inheritdoc />
    internal override TensorDims InferOutput(IReadOnlyList<TensorDims> inputs)
    {
        ExpectInputs(inputs, 1);
        if (Groups <= 0 || inputs[0].C % Groups != 0)
        {
            throw Error($"{Groups} groups do not divide the {inputs[0].C} channels.");
        }

        return inputs[0];
    }

    /// <inheritdoc />
    internal override void WriteParameters(BinaryWriter writer) => writer.Write(Groups);

    /// <summary>Reads what <see cref="WriteParameters"/> wrote.</summary>
    internal static ChannelShuffleLayer Read(string name, BinaryReader r) => new(name, [], r.ReadInt32());
}
