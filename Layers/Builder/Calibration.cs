using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Runtime;

namespace ILGPUInt8.Layers.Builder;

/// <summary>What a calibrator gets from the builder: an FP32 run of the network that shows it every tensor.</summary>
public interface ICalibrationRunner
{
    /// <summary>The device the FP32 engine runs on.</summary>
    Int8Device Device { get; }

    /// <summary>Names of the tensors that can be observed (after BN folding and constant folding).</summary>
    IReadOnlyList<string> TensorNames { get; }

    /// <summary>Network inputs: name and per-item dimensions.</summary>
    IReadOnlyList<(string Name, TensorDims Dims)> Inputs { get; }

    /// <summary>Largest batch a run accepts.</summary>
    int MaxBatchSize { get; }

    /// <summary>The build's calibration policy (<see cref="BuilderConfig.CalibrationPolicy"/>).</summary>
    CalibrationPolicy Policy { get; }

    /// <summary>Runs one batch (inputs NCHW float by name) and shows every tensor to <paramref name="observer"/>.</summary>
    void Run(IReadOnlyDictionary<string, float[]> inputs, int batchSize, ITensorObserver observer);

    /// <summary>
    /// Runs one batch step by step: each float tensor is yielded as soon as it is queued, and its view stays valid until
    /// the enumeration moves on (the pull form the Calibration project's activation sources use).
    /// </summary>
    IEnumerable<(string Name, ArrayView<float> Data)> RunLazily(IReadOnlyDictionary<string, float[]> inputs, int batchSize);
}

/// <summary>
/// Computes INT8 thresholds (name → T) from FP32 runs. The Calibration project's calibrators plug in through this
/// interface; <see cref="MaxAbsCalibrator"/> is the simple built-in one.
/// </summary>
public interface IRangeCalibrator
{
    /// <summary>Thresholds T (> 0) by tensor name; tensors left out get no range.</summary>
    IReadOnlyDictionary<string, float> Calibrate(ICalibrationRunner runner);
}

/// <summary>Min-max calibration on the host: T = max |x| over the given batches (1 for an all-zero tensor).</summary>
public sealed class MaxAbsCalibrator : IRangeCalibrator
{
    private readonly IReadOnlyList<(IReadOnlyDictionary<string, float[]> Inputs, int BatchSize)> _batches;

    /// <summary>Creates the calibrator over batches of NCHW float inputs by name.</summary>
    public MaxAbsCalibrator(IEnumerable<(IReadOnlyDictionary<string, float[]> Inputs, int BatchSize)> batches)
    {
        ArgumentNullException.ThrowIfNull(batches);
        _batches = [.. batches];
    }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, float> Calibrate(ICalibrationRunner runner)
    {
        ArgumentNullException.ThrowIfNull(runner);
        var observer = new MaxObserver(runner.Device);
        foreach (var (inputs, batch) in _batches)
        {
            runner.Run(inputs, batch, observer);
        }

        return observer.Max.ToDictionary(kv => kv.Key, kv => kv.Value > 0f ? kv.Value : 1f, StringComparer.Ordinal);
    }

    private sealed class MaxObserver(Int8Device device) : ITensorObserver
    {
        public Dictionary<string, float> Max { get; } = new(StringComparer.Ordinal);

        public void Observe(string tensorName, ArrayView<float> values, TensorShape shape)
        {
            var host = new float[values.Length];
            device.Synchronize();
            values.CopyToCPU(host);
            var max = Max.GetValueOrDefault(tensorName);
            foreach (var v in host)
            {
                if (float.IsFinite(v))
                {
                    max = Math.Max(max, Math.Abs(v));
                }
            }

            Max[tensorName] = max;
        }
    }
}
