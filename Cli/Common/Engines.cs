using System.Diagnostics;
using ILGPUInt8.Calibration;
using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Calibration.Methods;
using ILGPUInt8.Calibration.Tables;
using ILGPUInt8.Kernels.Cpu;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Layers.Builder;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Runtime;

namespace ILGPUInt8.Cli.Common;

/// <summary>A calibrated INT8 engine, the calibration run it came from and the seconds it took.</summary>
/// <param name="Engine">The INT8 engine.</param>
/// <param name="Run">Table, histograms and per-tensor results.</param>
/// <param name="Seconds">Calibration (two FP32 passes, the method) and the INT8 build, in seconds.</param>
public sealed record CalibratedEngine(Engine Engine, CalibrationRun Run, double Seconds);

/// <summary>Builds FP32, FP16 and INT8 engines on the default device and says which device that is.</summary>
public static class Engines
{
    /// <summary>One line: the device engines run on, and why (CUDA found, or the CPU fallback).</summary>
    public static string DeviceLine()
    {
        var kind = Int8Device.Resolve(DeviceKind.Auto);
        var forced = Environment.GetEnvironmentVariable(Int8Device.DeviceEnvironmentVariable) is { Length: > 0 } env
            ? $" ({Int8Device.DeviceEnvironmentVariable}={env})"
            : string.Empty;
        if (kind == DeviceKind.Cuda)
        {
            var device = Int8Device.Shared();
            return $"CUDA: {device.Accelerator.Name}, compute capability {device.ComputeCapability}{forced}";
        }

        var isa = Environment.GetEnvironmentVariable(CpuIsaSupport.ForceEnvironmentVariable) is { Length: > 0 } v ? v : CpuIsaSupport.Best().ToString();
        return forced.Length > 0
            ? $"CPU backend, {isa}{forced}"
            : $"CPU backend, {isa} (no CUDA device found: running on the CPU, {Environment.ProcessorCount} cores)";
    }

    /// <summary>One line naming the devices of a data-parallel run: <c>2 devices: cuda:0 (NVIDIA H200), cuda:1 (NVIDIA H200)</c>.</summary>
    public static string DevicesLine(IReadOnlyList<Int8Device> devices)
    {
        ArgumentNullException.ThrowIfNull(devices);
        return $"{devices.Count} device{(devices.Count == 1 ? string.Empty : "s")}: {string.Join(", ", devices.Select(d => d.DisplayName))} (data parallel)";
    }

    /// <summary>An FP32 engine.</summary>
    public static Engine Fp32(NetworkDefinition network, int maxBatch) =>
        EngineBuilder.Build(network, new BuilderConfig { MaxBatchSize = maxBatch });

    /// <summary>An engine without INT8 (<paramref name="precision"/> fp32 or fp16, with its per-layer requests).</summary>
    public static Engine Float(NetworkDefinition network, int maxBatch, CliPrecision precision)
    {
        ArgumentNullException.ThrowIfNull(precision);
        var config = new BuilderConfig { MaxBatchSize = maxBatch };
        precision.Apply(config);
        return EngineBuilder.Build(network, config);
    }

    /// <summary>
    /// An INT8 engine from ranges already known: <paramref name="table"/> and the network's own dynamic ranges (QDQ
    /// models). Without either it is an error: INT8 needs ranges. A table must cover every tensor the engine quantizes
    /// except those in <paramref name="allowMissing"/>, and must have been made with the preprocessing
    /// <paramref name="inputs"/> says the engine's inputs get, when both are known. <paramref name="integerOnly"/> builds an
    /// integer-only engine (<see cref="BuilderConfig.IntegerOnly"/>), which fails naming any layer left in float.
    /// <paramref name="precision"/>: int8 (the default) or best, with per-layer requests.
    /// </summary>
    public static Engine Int8(ModelFile model, int maxBatch, CalibrationTable? table, Preprocessing? inputs = null, IReadOnlyCollection<string>? allowMissing = null, bool integerOnly = false, CliPrecision? precision = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (table is null && model.QdqRanges == 0)
        {
            throw new CliUsageException($"INT8 needs activation ranges: give --table (made by `ilgpu-int8 calibrate`), or use a QDQ-quantized model. '{model.Path}' has no QDQ ranges.");
        }

        var config = new BuilderConfig { MaxBatchSize = maxBatch, Int8 = true, IntegerOnly = integerOnly, InputPreprocessing = inputs };
        (precision ?? CliPrecision.Int8).Apply(config);
        if (table is not null)
        {
            config.UseTable(table);
        }

        foreach (var name in allowMissing ?? [])
        {
            config.AllowMissingRanges.Add(name);
        }

        return EngineBuilder.Build(model.Network, config);
    }

    /// <summary>
    /// Calibrates with <paramref name="method"/> over <paramref name="data"/> (two bars: range pass, histogram pass) and
    /// builds the INT8 engine. The library's <see cref="CalibrationPolicy"/> applies
    /// (with entropy, the network's inputs are calibrated min-max), so the CLI and a library caller get the same table.
    /// <paramref name="integerOnly"/> builds the engine integer-only from the same ranges; <paramref name="precision"/> best
    /// runs FP16 where INT8 cannot. With <paramref name="devices"/> the two passes are shared by those devices
    /// (<see cref="CalibratorRanges.AcrossDevices"/>): the same table, bit for bit.
    /// </summary>
    public static CalibratedEngine Calibrate(ModelFile model, ICalibrationDataSource data, ICalibrationMethod method, int maxBatch, IProgressBars bars, Preprocessing? preprocessing = null, bool integerOnly = false, CliPrecision? precision = null, IReadOnlyList<Int8Device>? devices = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(bars);
        var batches = data.BatchCount ?? 1;
        var range = bars.Add($"calibrate ({method.Name}): ranges", batches);
        var histogram = bars.Add($"calibrate ({method.Name}): histograms", batches);
        var progress = new InlineProgress<CalibrationProgress>(p =>
        {
            var bar = p.Phase switch
            {
                CalibrationPhase.Range => range,
                CalibrationPhase.Histogram => histogram,
                _ => null,
            };
            bar?.SetValue(p.Done);
        });
        var calibrator = new Calibrator(Int8Device.Shared(), method) { ModelHash = string.IsNullOrEmpty(model.Sha256) ? null : model.Sha256, Preprocessing = preprocessing };
        var ranges = devices is null ? new CalibratorRanges(calibrator, data, progress) : CalibratorRanges.AcrossDevices(calibrator, data, model.Network, devices, progress);
        var config = new BuilderConfig { MaxBatchSize = maxBatch, Int8 = true, IntegerOnly = integerOnly, Calibrator = ranges, CalibrationBatchSize = data.BatchSize };
        (precision ?? CliPrecision.Int8).Apply(config);
        var watch = Stopwatch.StartNew();
        var engine = EngineBuilder.Build(model.Network, config);
        var seconds = watch.Elapsed.TotalSeconds;
        range.Finish();
        histogram.Finish();
        return new CalibratedEngine(engine, ranges.LastRun!, seconds);
    }
}
