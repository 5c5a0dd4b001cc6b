using ILGPU;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Kernels.Tensors;

namespace ILGPUInt8.Layers;

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
    /// <summary>Builds an engine on <paramref name="device"/>.</summary>
    public static Engine Build(NetworkDefinition network, BuilderConfig config, Int8Device device)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(device);
        config.Validate();
        var plan = GraphLowering.Lower(network, config.MaxBatchSize);
        if (config.Int8)
        {
            AssignRanges(plan, network, config, device);
        }

        PrecisionPass.Run(plan, config);
        if (config.Fusion)
        {
            FusionPass.Run(plan);
        }

        ConvertPass.Run(plan);
        MemoryPlanner.Run(plan, config.MemoryReuse);
        return new Engine(device, plan);
    }

    /// <summary>Builds on the process's default device (<see cref="Int8Device.Shared"/>).</summary>
    public static Engine Build(NetworkDefinition network, BuilderConfig config) => Build(network, config, Int8Device.Shared());

    private static void AssignRanges(Plan plan, NetworkDefinition network, BuilderConfig config, Int8Device device)
    {
        IReadOnlyDictionary<string, float>? calibrated = null;
        if (config.Calibrator is not null)
        {
            var batch = config.CalibrationBatchSize ?? config.MaxBatchSize;
            var fp32 = GraphLowering.Lower(network, batch);
            PrecisionPass.Run(fp32, new BuilderConfig { MaxBatchSize = batch });
            ConvertPass.Run(fp32);
            MemoryPlanner.Run(fp32, reuse: true);
            using var engine = new Engine(device, fp32);
            using var runner = new CalibrationRunner(engine);
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

    private sealed class CalibrationRunner(Engine engine) : ICalibrationRunner, IDisposable
    {
        private readonly ExecutionContext _context = engine.CreateExecutionContext();

        public Int8Device Device => engine.Device;

        public IReadOnlyList<string> TensorNames { get; } = [.. engine.Plan.Tensors.Where(t => t.Constant is null).Select(t => t.Name)];

        public IReadOnlyList<(string Name, TensorDims Dims)> Inputs { get; } = [.. engine.Inputs.Select(b => (b.Name, b.Dims))];

        public int MaxBatchSize => engine.MaxBatchSize;

        public void Run(IReadOnlyDictionary<string, float[]> inputs, int batchSize, ITensorObserver observer)
        {
            ArgumentNullException.ThrowIfNull(observer);
            _context.SetInputs(inputs, batchSize);
            _context.Run(batchSize, observer, null);
            engine.Device.Synchronize();
        }

        public IEnumerable<(string Name, ArrayView<float> Data)> RunLazily(IReadOnlyDictionary<string, float[]> inputs, int batchSize)
        {
            _context.SetInputs(inputs, batchSize);
            foreach (var (tensor, _, _, _, _) in _context.RunLazily(batchSize))
            {
                if (tensor is { Type: DataType.Float })
                {
                    yield return (tensor.Name, _context.View<float>(tensor, batchSize));
                }
            }

            engine.Device.Synchronize();
        }

        public void Dispose() => _context.Dispose();
    }
}
