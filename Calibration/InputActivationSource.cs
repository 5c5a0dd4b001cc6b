using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Calibration;

/// <summary>
/// An <see cref="IActivationSource"/> that observes the batch's inputs themselves: each input is copied to a device
/// buffer (kept per name and grown as needed) and yielded under its own name, optionally after a host transform
/// (e.g. a tiny hand-written layer in tests).
/// </summary>
public sealed class InputActivationSource : IActivationSource, IDisposable
{
    private readonly Int8Device _device;
    private readonly Func<string, float[], IEnumerable<(string Name, float[] Data)>>? _transform;
    private readonly Dictionary<string, MemoryBuffer1D<float, Stride1D.Dense>> _buffers = new(StringComparer.Ordinal);

    /// <summary>
    /// Observes the inputs on <paramref name="device"/>; with <paramref name="transform"/>, observes what it makes of
    /// each input instead (input name, data → named tensors).
    /// </summary>
    public InputActivationSource(Int8Device device, Func<string, float[], IEnumerable<(string Name, float[] Data)>>? transform = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        _device = device;
        _transform = transform;
    }

    /// <inheritdoc />
    public IEnumerable<(string Name, ArrayView<float> Data)> Run(CalibrationBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        foreach (var (inputName, tensor) in batch.Inputs)
        {
            IEnumerable<(string Name, float[] Data)> outputs = _transform is null ? [(inputName, tensor.Data)] : _transform(inputName, tensor.Data);
            foreach (var (name, data) in outputs)
            {
                yield return (name, Upload(name, data));
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var buffer in _buffers.Values)
        {
            buffer.Dispose();
        }

        _buffers.Clear();
    }

    private ArrayView<float> Upload(string name, float[] data)
    {
        if (!_buffers.TryGetValue(name, out var buffer) || buffer.Length < data.Length)
        {
            buffer?.Dispose();
            buffer = _device.Accelerator.Allocate1D<float>(Math.Max(1, data.Length));
            _buffers[name] = buffer;
        }

        var view = buffer.View.SubView(0, data.Length);
        view.CopyFromCPU(data);
        return view;
    }
}
