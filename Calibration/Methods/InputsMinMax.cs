using ILGPUInt8.Calibration.Histograms;

namespace ILGPUInt8.Calibration.Methods;

/// <summary>
/// A method for every activation, min-max for the network's inputs. An input image has a known, bounded range, and
/// its histogram is dominated by a spike away from zero (the background pixel value, e.g. (0 − 0.286) / 0.353 = −0.81
/// for Fashion-MNIST): the entropy search settles on that spike and clips every brighter pixel (28 % of the pixels, an
/// input SQNR of 9 dB, −4 points of top-1). T = max |x| keeps every pixel; the table records the method per tensor.
/// The engine builder applies it by default (ILGPUInt8.Layers' <c>CalibrationPolicy.InputsMinMaxUnderEntropy</c>).
/// </summary>
/// <param name="method">The method for the other tensors.</param>
/// <param name="inputs">Names of the network's inputs.</param>
public sealed class InputsMinMax(ICalibrationMethod method, IReadOnlyCollection<string> inputs) : ICalibrationMethod
{
    private readonly MinMaxCalibrator _minMax = new();

    /// <inheritdoc />
    public string Name => method.Name;

    /// <inheritdoc />
    public CalibrationResult Compute(TensorHistogram histogram)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        return inputs.Contains(histogram.Name) ? _minMax.Compute(histogram) : method.Compute(histogram);
    }
}
