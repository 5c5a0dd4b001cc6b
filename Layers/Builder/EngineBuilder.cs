using ILGPUInt8.Kernels.Cpu;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Runtime;

namespace ILGPUInt8.Layers.Builder;

/// <summary>
/// Builds an <see cref="Engine"/> from a <see cref="NetworkDefinition"/> for one device:
/// <list type="number">
/// <item>shape inference and graph checks, constant folding, batch norm → Scale → folded into the convolution before it,
/// flatten absorbed into a fully connected layer (<see cref="GraphLowering"/>);</item>
/// <item>ranges: <see cref="Tensor.SetDynamicRange"/>, else the calibration table, else the calibrator (which runs an FP32
/// engine of the same graph over its data and sees every tensor);</item>
/// <item>precision per layer (<see cref="PrecisionPass"/>), fusion (<see cref="FusionPass"/>), quantize/dequantize at the
/// boundaries (<see cref="ConvertPass"/>), memory plan (<see cref="MemoryPlanner"/>);</item>
/// <item>the engine: weights quantized and uploaded, kernels loaded on first use.</item>
/// </list>
/// </summary>
public static class EngineBuilder
{
    /// <summary>Builds an engine on <paramref name="device"/> (ILGPU kernels: "cuda", or "ilgpu-cpu" on the CPU accelerator).</summary>
    public static Engine Build(NetworkDefinition network, BuilderConfig config, Int8Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return Build(network, config, device, null);
    }

    /// <summary>
    /// Builds for the default backend: CUDA when a CUDA device is present (and <c>ILGPUINT8_DEVICE</c> does not say cpu),
    /// else the CPU backend (<see cref="BuildCpu"/>).
    /// </summary>
    public static Engine Build(NetworkDefinition network, BuilderConfig config) =>
        Int8Device.CudaPreferred ? Build(network, config, Int8Device.Shared(DeviceKind.Cuda)) : BuildCpu(network, config);

    /// <summary>
    /// Builds for the CPU backend: the same plan run by managed SIMD code on the host (INT8 through im2col and the
    /// VNNI/AVX2/scalar GEMM, chosen by <see cref="BuilderConfig.CpuIsa"/>, else <c>ILGPUINT8_CPU_ISA</c>, else the best
    /// supported), bit-exact with the ILGPU backends for INT8.
    /// </summary>
    public static Engine BuildCpu(NetworkDefinition network, BuilderConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return Build(network, config, Int8Device.Shared(DeviceKind.Cpu), CpuIsaSupport.Checked(config.CpuIsa));
    }

    /// <summary>
    /// Builds on <paramref name="device"/> (or the CPU backend with <paramref name="hostIsa"/>) and lets
    /// <paramref name="edit"/> change the finished plan before the steps are made: the tests' hook to corrupt one scale
    /// and show that the INT8 oracle notices.
    /// </summary>
    internal static Engine BuildEdited(NetworkDefinition network, BuilderConfig config, Int8Device device, CpuIsa? hostIsa, Action<Plan> edit) =>
        Build(network, config, device, hostIsa, edit);

    private static Engine Build(NetworkDefinition network, BuilderConfig config, Int8Device device, CpuIsa? hostIsa, Action<Plan>? edit = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        var plan = GraphLowering.Lower(network, config.MaxBatchSize);
        if (config.Int8)
        {
            AssignRanges(plan, network, config, device, hostIsa);
            RangeCheck.Run(plan, config);
        }

        var timed = hostIsa is null && TimesTactics(config.TacticTiming, device);
        if (timed && config.Mode == BuilderPrecision.Best && edit is null)
        {
            // best by build-time timing: the same ranges, planned with other precision choices (PrecisionTiming).
            return PrecisionTiming.Choose(plan, config, choices => Finish(Replan(network, config, plan), config, device, null, null, choices, timed, config.Tf32), config.TacticRepeats);
        }

        if (timed && config.Tf32 && edit is null)
        {
            // TF32 allowed, not imposed: the engine with TF32 steps and the strict one, timed, the faster kept (Tf32Timing).
            return Tf32Timing.Choose(tf32 => Finish(Replan(network, config, plan), config, device, hostIsa, null, null, timed, tf32), config.TacticRepeats);
        }

        return Finish(plan, config, device, hostIsa, edit, null, timed, config.Tf32);
    }

    // A plan lowered again with the tensor ranges of `ranged` (lowering is deterministic: the same tensors in the same order).
    private static Plan Replan(NetworkDefinition network, BuilderConfig config, Plan ranged)
    {
        var plan = GraphLowering.Lower(network, config.MaxBatchSize);
        for (var i = 0; i < plan.Tensors.Count; i++)
        {
            plan.Tensors[i].Threshold = ranged.Tensors[i].Threshold;
        }

        return plan;
    }

    // Precision (with the timed choices of `best`, if any), fusion, conversions, memory plan, the engine and its tactics.
    private static Engine Finish(Plan plan, BuilderConfig config, Int8Device device, CpuIsa? hostIsa, Action<Plan>? edit, IReadOnlyDictionary<string, LayerPrecision>? choices, bool timed, bool tf32)
    {
        plan.IntegerOnly = config.IntegerOnly;
        plan.Tf32 = tf32;
        PrecisionPass.Run(plan, config, choices);
        if (config.Fusion)
        {
            FusionPass.Run(plan, config.FuseResidualSums);
        }

        ConvertPass.Run(plan);
        if (config.IntegerOnly)
        {
            IntegerOnlyPass.Run(plan);
        }
        MemoryPlanner.Run(plan, config.MemoryReuse);
        edit?.Invoke(plan);
        var engine = new Engine(device, plan, hostIsa);
        if (timed)
        {
            try
            {
                // The batch sizes the tactics are timed at: the largest and 1 (a run uses the nearest on a log scale).
                engine.TuneTactics([plan.MaxBatchSize, 1], config.TimingCache ?? ProcessTimingCache, config.TacticRepeats);
            }
            catch
            {
                engine.Dispose();
                throw;
            }
        }

        return engine;
    }

    /// <summary>The environment variable that turns <see cref="TacticTiming.Auto"/> off (<c>off</c>) or on (<c>on</c>).</summary>
    public const string TacticsEnvironmentVariable = "ILGPUINT8_TACTICS";

    // The timing cache of builds that name none: one per process, so that rebuilding a network in one process times once.
    private static readonly TimingCache ProcessTimingCache = new();

    /// <summary>Whether a build on <paramref name="device"/> times tactics under <paramref name="timing"/>.</summary>
    internal static bool TimesTactics(TacticTiming timing, Int8Device device)
    {
        var env = Environment.GetEnvironmentVariable(TacticsEnvironmentVariable)?.Trim().ToLowerInvariant();
        return timing switch
        {
            TacticTiming.On => true,
            TacticTiming.Off => false,
            _ => env switch
            {
                "off" or "0" or "false" => false,
                "on" or "1" or "true" => true,
                _ => device.IsCuda,
            },
        };
    }

    /// <summary>
    /// The FP32 run a calibrator sees, on its own (for calibrations split over processes or machines, which run the two
    /// passes shard by shard): the network's FP32 engine on the default backend (as <see cref="Build(NetworkDefinition, BuilderConfig)"/>
    /// picks it) with every float tensor observable, batches up to <paramref name="batchSize"/>.
    /// </summary>
    public static CalibrationRunner CreateCalibrationRunner(NetworkDefinition network, int batchSize, CalibrationPolicy? policy = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var engine = Int8Device.CudaPreferred
            ? CalibrationEngine(network, batchSize, Int8Device.Shared(DeviceKind.Cuda), null)
            : CalibrationEngine(network, batchSize, Int8Device.Shared(DeviceKind.Cpu), CpuIsaSupport.Checked(null));
        return new CalibrationRunner(engine, policy ?? CalibrationPolicy.Default);
    }

    /// <summary>
    /// The FP32 run a calibrator sees, on <paramref name="device"/>: the CUDA kernels on a CUDA device, the CPU backend on a
    /// CPU accelerator (one runner per device for a calibration split over the devices of one host).
    /// </summary>
    public static CalibrationRunner CalibrationRunnerOn(Int8Device device, NetworkDefinition network, int batchSize, CalibrationPolicy? policy = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(device);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var engine = CalibrationEngine(network, batchSize, device, device.IsCuda ? null : CpuIsaSupport.Checked(null));
        return new CalibrationRunner(engine, policy ?? CalibrationPolicy.Default);
    }

    private static Engine CalibrationEngine(NetworkDefinition network, int batch, Int8Device device, CpuIsa? hostIsa)
    {
        // Strict FP32 (Plan.Tf32 stays false): the ranges are those of the network's FP32 values on every backend.
        var fp32 = GraphLowering.Lower(network, batch);
        PrecisionPass.Run(fp32, new BuilderConfig { MaxBatchSize = batch });
        ConvertPass.Run(fp32);
        MemoryPlanner.Run(fp32, reuse: true);
        return new Engine(device, fp32, hostIsa);
    }

    private static void AssignRanges(Plan plan, NetworkDefinition network, BuilderConfig config, Int8Device device, CpuIsa? hostIsa)
    {
        IReadOnlyDictionary<string, float>? calibrated = null;
        if (config.Calibrator is not null)
        {
            using var runner = new CalibrationRunner(CalibrationEngine(network, config.CalibrationBatchSize ?? config.MaxBatchSize, device, hostIsa), config.CalibrationPolicy);
            calibrated = config.Calibrator.Calibrate(runner);
        }

        foreach (var t in plan.Tensors)
        {
            if (t.Threshold is not null)
            {
                continue;
            }

            if (config.CalibrationTable?.TryGetValue(t.Name, out var table) == true)
            {
                t.Threshold = table;
            }
            else if (calibrated?.TryGetValue(t.Name, out var c) == true && c > 0f && float.IsFinite(c))
            {
                t.Threshold = c;
            }
            else if (t.Constant is { } values)
            {
                var max = values.Length == 0 ? 0f : values.Max(Math.Abs);
                t.Threshold = max > 0f ? max : 1f;
            }
        }
    }
}
