using ILGPU;
using ILGPUInt8.Calibration.Data;

namespace ILGPUInt8.Calibration;

/// <summary>
/// What the calibrator observes: for one batch, the named float tensors (e.g. every layer output of an FP32 run of
/// the network) as device views. The engine implements it; <see cref="InputActivationSource"/> observes the inputs.
/// A view needs to stay valid only until the enumeration moves to the next item: the calibrator launches its kernel
/// and synchronises the device before asking for more. A name may appear at most once per batch.
/// </summary>
public interface IActivationSource
{
    /// <summary>The tensors to observe for <paramref name="batch"/>.</summary>
    IEnumerable<(string Name, ArrayView<float> Data)> Run(CalibrationBatch batch);
}
