using ILGPU;
using ILGPUInt8.Calibration;
using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Calibration.Tables;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Builder;

/// <summary>
/// The Calibration project's <see cref="Calibrator"/> as the builder's <see cref="IRangeCalibrator"/>: its two passes run
/// over the FP32 engine of the network (every tensor observed through <see cref="IActivationSource"/>), its method picks
/// the thresholds, with the builder's <see cref="CalibrationPolicy"/> applied (entropy: network inputs min-max).
/// <see cref="LastRun"/> keeps the table, histograms and results for saving and reports.
/// </summary>
public sealed class CalibratorRanges : IRangeCalibrator
{
    private readonly Calibrator _calibrator;
    private readonly ICalibrationDataSource _data;
    private readonly IProgress<CalibrationProgress>? _progress;
    private readonly CancellationToken _cancellationToken;
    private readonly NetworkDefinition? _network;
    private readonly IReadOnlyList<Int8Device>? _devices;

    /// <summary>
    /// Calibrates with <paramref name="calibrator"/> over <paramref name="data"/> shared by <paramref name="devices"/>
    /// (<see cref="Calibrator.RunAcross"/>): an FP32 run of <paramref name="network"/> on each device, each histogramming
    /// the batches it takes; the merged table equals one device's bit for bit.
    /// </summary>
    public static CalibratorRanges AcrossDevices(Calibrator calibrator, ICalibrationDataSource data, NetworkDefinition network, IReadOnlyList<Int8Device> devices, IProgress<CalibrationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(devices);
        if (devices.Count == 0)
        {
            throw new ArgumentException("Calibrating across devices needs at least one device.", nameof(devices));
        }

        return new CalibratorRanges(calibrator, data, progress, cancellationToken, network, devices);
    }

    /// <summary>Calibrates with <paramref name="calibrator"/> over <paramref name="data"/> (NCHW float inputs by name).</summary>
    public CalibratorRanges(Calibrator calibrator, ICalibrationDataSource data, IProgress<CalibrationProgress>? progress = null, CancellationToken cancellationToken = default)
        : this(calibrator, data, progress, cancellationToken, null, null)
    {
    }

    private CalibratorRanges(Calibrator calibrator, ICalibrationDataSource data, IProgress<CalibrationProgress>? progress, CancellationToken cancellationToken, NetworkDefinition? network, IReadOnlyList<Int8Device>? devices)
    {
        _network = network;
        _devices = devices;
        ArgumentNullException.ThrowIfNull(calibrator);
        ArgumentNullException.ThrowIfNull(data);
        _calibrator = calibrator;
        _data = data;
        _progress = progress;
        _cancellationToken = cancellationToken;
    }

    /// <summary>The run of the last <see cref="Calibrate"/> (null before).</summary>
    public CalibrationRun? LastRun { get; private set; }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, float> Calibrate(ICalibrationRunner runner)
    {
        ArgumentNullException.ThrowIfNull(runner);
        if (_data.BatchSize > runner.MaxBatchSize)
        {
            throw new ArgumentException($"Calibration batches of {_data.BatchSize} exceed the calibration engine's maximum batch {runner.MaxBatchSize}; set BuilderConfig.CalibrationBatchSize.", nameof(runner));
        }

        var method = runner.Policy.MethodFor(_calibrator.Method, [.. runner.Inputs.Select(i => i.Name)]);
        var calibrator = ReferenceEquals(method, _calibrator.Method) ? _calibrator : _calibrator.WithMethod(method);
        if (_devices is null)
        {
            LastRun = calibrator.Run(_data, new EngineActivationSource(runner), _progress, _cancellationToken);
            return LastRun.Table.ToThresholds();
        }

        var runners = new List<CalibrationRunner>();
        try
        {
            foreach (var device in _devices)
            {
                runners.Add(EngineBuilder.CalibrationRunnerOn(device, _network!, runner.MaxBatchSize, runner.Policy));
            }

            LastRun = calibrator.RunAcross(_data, [.. runners.Select(r => new DeviceActivations(r.Device, new EngineActivationSource(r)))], _progress, _cancellationToken);
        }
        finally
        {
            runners.ForEach(r => r.Dispose());
        }

        return LastRun.Table.ToThresholds();
    }
}

/// <summary>An FP32 engine run as the Calibration project's activation source: every float tensor of every batch.</summary>
public sealed class EngineActivationSource : IActivationSource
{
    private readonly ICalibrationRunner _runner;

    /// <summary>Observes the runner's FP32 engine.</summary>
    public EngineActivationSource(ICalibrationRunner runner)
    {
        ArgumentNullException.ThrowIfNull(runner);
        _runner = runner;
    }

    /// <inheritdoc />
    public IEnumerable<(string Name, ArrayView<float> Data)> Run(CalibrationBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var inputs = batch.Inputs.ToDictionary(kv => kv.Key, kv => kv.Value.Data, StringComparer.Ordinal);
        return _runner.RunLazily(inputs, batch.Size);
    }
}

/// <summary>Thresholds from the Calibration project's tables, for <see cref="BuilderConfig.CalibrationTable"/>.</summary>
public static class CalibrationTableExtensions
{
    /// <summary>Tensor name → threshold T (scale = T/127).</summary>
    public static IReadOnlyDictionary<string, float> ToThresholds(this CalibrationTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        return table.Tensors.ToDictionary(t => t.Name, t => (float)t.Threshold, StringComparer.Ordinal);
    }

    /// <summary>
    /// Uses <paramref name="table"/> for the ranges: its thresholds (checked for sanity first) and the preprocessing its
    /// data had, which the build compares with <see cref="BuilderConfig.InputPreprocessing"/>.
    /// </summary>
    public static BuilderConfig UseTable(this BuilderConfig config, CalibrationTable table)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(table);
        table.CheckSane();
        config.CalibrationTable = table.ToThresholds();
        config.CalibrationPreprocessing = table.Preprocessing;
        return config;
    }

    /// <summary>Tensor name → threshold T = 127 · scale from a TensorRT calibration cache.</summary>
    public static IReadOnlyDictionary<string, float> ToThresholds(this CalibrationCache cache)
    {
        ArgumentNullException.ThrowIfNull(cache);
        return cache.Scales.ToDictionary(kv => kv.Key, kv => kv.Value * 127f, StringComparer.Ordinal);
    }
}
