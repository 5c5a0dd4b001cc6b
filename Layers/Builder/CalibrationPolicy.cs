using ILGPUInt8.Calibration.Methods;

namespace ILGPUInt8.Layers.Builder;

/// <summary>
/// The rules between calibrated ranges and the thresholds an INT8 engine uses. They are library behaviour: the engine
/// builder applies them to every calibration (the CLI is one caller), so a library user and <c>ilgpu-int8</c> get the
/// same table and the same engine from the same data.
/// <list type="bullet">
/// <item><see cref="InputsMinMaxUnderEntropy"/>: with the entropy method, the network's inputs are calibrated min-max
/// (<see cref="InputsMinMax"/>: an image's histogram is one background spike; entropy clips every brighter pixel, about
/// −4 points of top-1 on Fashion-MNIST).</item>
/// <item><see cref="ThresholdsFromPooling"/>: a tensor read only by an INT8 max pooling (or reshape/flatten/padding)
/// takes that reader's output threshold: clip(max x) = max(clip x), so no int8 value changes, and the pooled tensor is
/// what the next layer reads (a ReLU's spiky histogram no longer sets the clip).</item>
/// </list>
/// </summary>
public sealed record CalibrationPolicy
{
    /// <summary>Both rules on: what the builder and the CLI use unless told otherwise.</summary>
    public static CalibrationPolicy Default { get; } = new();

    /// <summary>Calibrate network inputs min-max when the method is entropy (default on).</summary>
    public bool InputsMinMaxUnderEntropy { get; init; } = true;

    /// <summary>A tensor read only by an INT8 max pooling, reshape or padding takes that step's output threshold (default on).</summary>
    public bool ThresholdsFromPooling { get; init; } = true;

    /// <summary>The method the calibrator should run for a network with these <paramref name="inputs"/>.</summary>
    public ICalibrationMethod MethodFor(ICalibrationMethod method, IReadOnlyCollection<string> inputs)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(inputs);
        return InputsMinMaxUnderEntropy && method is EntropyCalibrator && inputs.Count > 0 ? new InputsMinMax(method, inputs) : method;
    }
}
