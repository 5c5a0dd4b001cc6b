namespace ILGPUInt8.Layers.Onnx.Reference;

/// <summary>The ONNX activations, element by element.</summary>
internal sealed class ActivationOnnxReference : OnnxEvaluator<ActivationLayerSpec>
{
    /// <inheritdoc />
    protected override ReferenceTensor Evaluate(ActivationLayerSpec spec, IReadOnlyList<ReferenceTensor> x, long[] shape) => Map(x[0], v => Activation(spec, v));

    /// <summary>The activation functions, evaluated in double and rounded once.</summary>
    private static float Activation(ActivationLayerSpec a, float v) => a.Function switch
    {
        OnnxActivation.Relu => v < 0f ? 0f : v,
        OnnxActivation.LeakyRelu => v < 0f ? v * a.Alpha : v,
        OnnxActivation.Sigmoid => (float)(1.0 / (1.0 + Math.Exp(-(double)v))),
        OnnxActivation.Tanh => (float)Math.Tanh(v),
        OnnxActivation.HardSwish => (float)(v * Math.Clamp((v / 6.0) + 0.5, 0.0, 1.0)),
        OnnxActivation.Silu => (float)(v / (1.0 + Math.Exp(-(double)v))),
        _ => v < a.Alpha ? a.Alpha : v > a.Beta ? a.Beta : v,
    };
}
