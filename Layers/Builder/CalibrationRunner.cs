using ILGPU;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Runtime;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Layers.Builder;

/// <summary>
/// The FP32 engine a calibrator runs, as an <see cref="ICalibrationRunner"/>: one execution context, every float tensor
/// shown. Owns the engine and disposes it (<see cref="EngineBuilder.CreateCalibrationRunner(NetworkDefinition, int, CalibrationPolicy?)"/> makes one on its own).
/// </summary>
public sealed class CalibrationRunner : ICalibrationRunner, IDisposable
{
    private readonly Engine _engine;
    private readonly ExecutionContext _context;

    internal CalibrationRunner(Engine engine, CalibrationPolicy policy)
    {
        _engine = engine;
        Policy = policy;
        _context = engine.CreateExecutionContext();
        TensorNames = [.. engine.Plan.Tensors.Where(t => t.Constant is null).Select(t => t.Name)];
        Inputs = [.. engine.Inputs.Select(b => (b.Name, b.Dims))];
    }

    /// <inheritdoc />
    public Int8Device Device => _engine.Device;

    /// <inheritdoc />
    public IReadOnlyList<string> TensorNames { get; }

    /// <inheritdoc />
    public IReadOnlyList<(string Name, TensorDims Dims)> Inputs { get; }

    /// <inheritdoc />
    public int MaxBatchSize => _engine.MaxBatchSize;

    /// <inheritdoc />
    public CalibrationPolicy Policy { get; }

    /// <inheritdoc />
    public void Run(IReadOnlyDictionary<string, float[]> inputs, int batchSize, ITensorObserver observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        _context.SetInputs(inputs, batchSize);
        _context.Run(batchSize, observer, null);
        _engine.Device.Synchronize();
    }

    /// <inheritdoc />
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

        _engine.Device.Synchronize();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _context.Dispose();
        _engine.Dispose();
    }
}
