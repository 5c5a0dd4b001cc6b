using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Operators;

/// <summary>
/// Element-wise activation y = f(x): ReLU, leaky ReLU (alpha slope), clip to [alpha, beta] (ReLU6 = clip(0, 6)), tanh,
/// sigmoid. In INT8 every function is an exact 256-entry table built from the input and output scales.
/// </summary>
public sealed class ActivationLayer : Layer
{
    internal ActivationLayer(string name, IEnumerable<Tensor> inputs, ActivationSpec activation)
        : base(name, inputs)
    {
        Activation = activation;
    }

    /// <inheritdoc />
    public override LayerType Type => LayerType.Activation;

    /// <summary>The function and its parameters.</summary>
    public ActivationSpec Activation { get; }

    /// <inheritdoc />
    // y = f(x), the activation of the kernels (ActivationSpec.Apply).
    internal override float[] EvaluateConstant(IReadOnlyList<float[]> inputs, IReadOnlyList<TensorDims> dims) =>
        [.. inputs[0].Select(Activation.Apply)];

    /// <inheritdoc />
    internal override TensorDims InferOutput(IReadOnlyList<TensorDims> inputs)
    {
        ExpectInputs(inputs, 1);
        if (Activation.Kind == ActivationKind.None)
        {
            throw Error("activation kind None is not a layer.");
        }

        try
        {
            Activation.Validate("activation");
        }
        catch (ArgumentException ex)
        {
            throw Error(ex.Message);
        }

        return inputs[0];
    }

    /// <inheritdoc />
    internal override void WriteParameters(BinaryWriter writer) => writer.Write(Activation);

    /// <inheritdoc />
    internal override ActivationSpec? FusibleActivation => Activation;

    /// <inheritdoc />
    internal override ActivationSpec? Int8SharesScaleWithProducer => Activation.Kind == ActivationKind.Relu ? ActivationSpec.Relu : null;

    /// <summary>Reads what <see cref="WriteParameters"/> wrote.</summary>
    internal static ActivationLayer Read(string name, BinaryReader r) => new(name, [], r.ReadActivation());

    /// <inheritdoc />
    internal override string? IntegerOnlyLimit => null;
}
