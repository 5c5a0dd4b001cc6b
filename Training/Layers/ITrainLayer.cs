namespace ILGPUInt8.Training.Layers;

/// <summary>
/// One layer of a trainable network. Activations are NHWC float arrays of a whole batch. <see cref="Forward"/> keeps what
/// <see cref="Backward"/> needs; <see cref="Backward"/> writes every parameter's <see cref="Parameter.Grad"/> (overwriting)
/// and returns ∂loss/∂input (null when the caller needs no input gradient).
/// </summary>
public interface ITrainLayer
{
    /// <summary>The layer's name (the ONNX node's).</summary>
    string Name { get; }

    /// <summary>The input shape it was built for.</summary>
    FeatureShape Input { get; }

    /// <summary>The output shape.</summary>
    FeatureShape Output { get; }

    /// <summary>Trainable parameters (possibly none).</summary>
    IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>y = f(x) for <paramref name="batch"/> items.</summary>
    float[] Forward(float[] x, int batch);

    /// <summary>∂loss/∂x from ∂loss/∂y for the batch of the last <see cref="Forward"/>; parameter gradients written.</summary>
    float[]? Backward(float[] dy, bool needInputGradient);
}
