using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Operators;

/// <summary>
/// y = a op b (sum, product, max) of two tensors of the same dimensions. In INT8 the sum is integer-only with per-tensor
/// scales; a following ReLU is fused by the builder (residual blocks).
/// </summary>
public sealed class ElementWiseLayer : Layer
{
    internal ElementWiseLayer(string name, IEnumerable<Tensor> inputs, ElementWiseOperation operation)
        : base(name, inputs)
    {
        Operation = operation;
    }

    /// <inheritdoc />
    public override LayerType Type => LayerType.ElementWise;

    /// <summary>The operation.</summary>
    public ElementWiseOperation Operation { get; }

    /// <inheritdoc />
    // y[i] = a[i] op b[i] (sum, product or max), in float.
    internal override float[] EvaluateConstant(IReadOnlyList<float[]> inputs, IReadOnlyList<TensorDims> dims)
    {
        float[] a = inputs[0], b = inputs[1];
        var y = new float[a.Length];
        for (var i = 0; i < a.Length; i++)
        {
            float u = a[i], v = b[i % b.Length];
            y[i] = Operation switch
            {
                ElementWiseOperation.Sum => u + v,
                ElementWiseOperation.Product => u * v,
                _ => u > v ? u : v,
            };
        }

        return y;
    }

    /// <inheritdoc />
    internal override TensorDims InferOutput(IReadOnlyList<TensorDims> inputs)
    {
        ExpectInputs(inputs, 2);
        if (!Enum.IsDefined(Operation))
        {
            throw Error($"unknown operation {(int)Operation}.");
        }

        if (inputs[0] != inputs[1])
        {
            throw Error($"input dimensions differ: {inputs[0]} and {inputs[1]}.");
        }

        return inputs[0];
    }

    /// <inheritdoc />
    internal override void WriteParameters(BinaryWriter writer) => writer.Write((int)Operation);

    /// <inheritdoc />
    // The second operand may be a constant (a bias, a scale): the step reads it as float.
    internal override bool AcceptsConstantInput(int index) => index == 1;

    /// <inheritdoc />
    // Sum, product and max are commutative: op(a, b) = op(b, a).
    internal override bool CommutesInputs => true;

    /// <summary>Reads what <see cref="WriteParameters"/> wrote.</summary>
    internal static ElementWiseLayer Read(string name, BinaryReader r) => new(name, [], r.ReadEnum<ElementWiseOperation>());

    /// <inheritdoc />
    internal override bool FusesActivation(ActivationSpec activation, bool int8) => !int8 || activation.Kind == ActivationKind.Relu;

    /// <inheritdoc />
    internal override bool IsResidualSum => Operation == ElementWiseOperation.Sum;

    /// <inheritdoc />
    internal override string? IntegerOnlyLimit => Operation == ElementWiseOperation.Sum ? null : $"INT8 element-wise {Operation} requantizes with a float multiplier (no integer-only form yet; the sum has one)";
}
