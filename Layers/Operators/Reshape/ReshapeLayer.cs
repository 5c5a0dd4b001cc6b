using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Operators;

/// <summary>
/// Reshape with C-order (NCHW) semantics: the item's values keep their flat NCHW index. <see cref="LayerType.Flatten"/>
/// is the reshape to (C·H·W, 1, 1). A view when the memory already matches (vectors), a copy otherwise; a flatten that
/// feeds a fully connected layer is absorbed into its weights.
/// </summary>
public sealed class ReshapeLayer : Layer
{
    internal ReshapeLayer(string name, IEnumerable<Tensor> inputs, TensorDims? dims)
        : base(name, inputs)
    {
        TargetDims = dims;
    }

    /// <inheritdoc />
    public override LayerType Type => TargetDims is null ? LayerType.Flatten : LayerType.Reshape;

    /// <summary>The target dimensions (null for a flatten).</summary>
    public TensorDims? TargetDims { get; }

    /// <inheritdoc />
    // The C-order values do not change.
    internal override float[] EvaluateConstant(IReadOnlyList<float[]> inputs, IReadOnlyList<TensorDims> dims) => [.. inputs[0]];

    /// <inheritdoc />
    internal override TensorDims InferOutput(IReadOnlyList<TensorDims> inputs)
    {
        ExpectInputs(inputs, 1);
        if (TargetDims is not { } d)
        {
            return inputs[0].Volume > int.MaxValue ? throw Error("too many elements.") : TensorDims.Vector((int)inputs[0].Volume);
        }

        if (!d.IsValid || d.Volume != inputs[0].Volume)
        {
            throw Error($"cannot reshape {inputs[0]} ({inputs[0].Volume} values) to {d}.");
        }

        return d;
    }

    /// <inheritdoc />
    internal override void WriteParameters(BinaryWriter writer)
    {
        writer.Write(TargetDims is not null);
        writer.Write(TargetDims ?? default);
    }

    /// <summary>Reads what <see cref="WriteParameters"/> wrote.</summary>
    internal static ReshapeLayer Read(string name, BinaryReader r)
    {
        var has = r.ReadBoolean();
        var d = r.ReadDims();
        return new ReshapeLayer(name, [], has ? d : null);
    }

    /// <inheritdoc />
    internal override bool Int8KeepsInputScale => true;

    /// <inheritdoc />
    internal override bool IsReshape => true;

    /// <inheritdoc />
    internal override bool? OutputIsView(TensorShape input, TensorShape output) => Reshape.IsView(input, output);

    /// <inheritdoc />
    internal override string? IntegerOnlyLimit => null;
}
