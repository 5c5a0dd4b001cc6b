using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Runtime;

namespace ILGPUInt8.Layers.Operators;

/// <summary>
/// Every step-th index of one item axis: y[j] = x[start + j·step], j in [0, length), along C, H or W, the other axes
/// whole (ONNX Slice, steps negative too, and Split, e.g. ShuffleNet's channel halves). Every value is copied: INT8
/// keeps the input's scale.
/// </summary>
public sealed class SliceLayer : Layer, IItemGather
{
    internal SliceLayer(string name, IEnumerable<Tensor> inputs, ItemAxis axis, int start, int length, int step = 1)
        : base(name, inputs)
    {
        Axis = axis;
        Start = start;
        Length = length;
        Step = step;
    }

    /// <inheritdoc />
    public override LayerType Type => LayerType.Slice;

    /// <summary>The axis sliced.</summary>
    public ItemAxis Axis { get; }

    /// <summary>The first index kept.</summary>
    public int Start { get; }

    /// <summary>How many indices are kept.</summary>
    public int Length { get; }

    /// <summary>The distance between two kept indices (negative: backwards from <see cref="Start"/>; never 0).</summary>
    public int Step { get; }

    /// <inheritdoc />
    internal override bool Int8KeepsInputScale => true;

    /// <summary>(c, h, w) of the input that output (c, h, w) reads: index j of the sliced axis reads start + j·step.</summary>
    private (int C, int H, int W) Source(int c, int h, int w) => Axis switch
    {
        ItemAxis.Channel => (Start + (c * Step), h, w),
        ItemAxis.Height => (c, Start + (h * Step), w),
        _ => (c, h, Start + (w * Step)),
    };

    /// <inheritdoc />
    // y[c][h][w] = x[(c, h, w) with index j of the axis read at start + j·step] (NCHW, one item).
    internal override float[] EvaluateConstant(IReadOnlyList<float[]> inputs, IReadOnlyList<TensorDims> dims)
    {
        var d = dims[0];
        var o = InferOutput(dims);
        var y = new float[o.Volume];
        for (int c = 0; c < o.C; c++)
        {
            for (int h = 0; h < o.H; h++)
            {
                for (int w = 0; w < o.W; w++)
                {
                    var s = Source(c, h, w);
                    y[(((c * o.H) + h) * o.W) + w] = inputs[0][(((s.C * d.H) + s.H) * d.W) + s.W];
                }
            }
        }

        return y;
    }

    /// <inheritdoc />
    int[] IItemGather.ItemMap(TensorDims input, TensorDims output)
    {
        var map = new int[output.Volume];
        for (int h = 0; h < output.H; h++)
        {
            for (int w = 0; w < output.W; w++)
            {
                for (int c = 0; c < output.C; c++)
                {
                    var s = Source(c, h, w);
                    map[(((h * output.W) + w) * output.C) + c] = (((s.H * input.W) + s.W) * input.C) + s.C;
                }
            }
        }

        return map;
    }

    /// <inheritdoc />
    internal override TensorDims InferOutput(IReadOnlyList<TensorDims> inputs)
    {
        ExpectInputs(inputs, 1);
        var d = inputs[0];
        int size = d.Size(Axis);
        long last = Start + ((Length - 1L) * Step);
        if (!Enum.IsDefined(Axis) || Step == 0 || Length <= 0 || Start < 0 || Start >= size || last < 0 || last >= size)
        {
            throw Error($"the {Length} indices {Start}, {Start} + {Step}, … {last} are not inside the {size} indices of axis {Axis} of {d}.");
        }

        return Axis switch
        {
            ItemAxis.Channel => new TensorDims(Length, d.H, d.W),
            ItemAxis.Height => new TensorDims(d.C, Length, d.W),
            _ => new TensorDims(d.C, d.H, Length),
        };
    }

    /// <inheritdoc />
    internal override void WriteParameters(BinaryWriter writer)
    {
        writer.Write((int)Axis);
        writer.Write(Start);
        writer.Write(Length);
        writer.Write(Step);
    }

    /// <summary>Reads what <see cref="WriteParameters"/> wrote (engine files before version 5 have no step: 1).</summary>
    internal static SliceLayer Read(string name, BinaryReader r) =>
        new(name, [], r.ReadEnum<ItemAxis>(), r.ReadInt32(), r.ReadInt32(), r is EngineFileReader { Version: < 5 } ? 1 : r.ReadInt32());
}
