using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Calibration.Histograms;

/// <summary>
/// Collects one tensor's |x| histogram on the device in two passes, so the result does not depend on batch order:
/// pass 1 (<see cref="ObserveRange"/> over every batch) finds the finite range, <see cref="FinishRange"/> (or the
/// first <see cref="Count"/>) fixes amax, pass 2 (<see cref="Count"/> over every batch) counts into 2048 bins over
/// [0, amax]. Max/min and integer sums commute, so any order of batches gives the same bits, and two collectors over
/// halves of the data with the same amax (<see cref="SetRange"/>) merge exactly. Launches are asynchronous on the
/// device's default stream; a view must stay valid until the device is synchronised. Views of CPU-accelerator (host)
/// memory take <see cref="HostHistogram"/> instead (synchronous SIMD on the host, the same counts).
/// </summary>
public sealed class HistogramCollector : IDisposable
{
    private readonly Int8Device _device;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _range;
    private readonly MemoryBuffer1D<long, Stride1D.Dense> _counts;
    private float? _amax;
    private float _minAbs = float.PositiveInfinity;
    private int _rangeBatches;
    private int _histogramBatches;

    /// <summary>Allocates the device state (2 range words, 2048 + 2 counts) of tensor <paramref name="name"/>.</summary>
    public HistogramCollector(Int8Device device, string name)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(name);
        _device = device;
        Name = name;
        device.Accelerator.Bind(); // several devices in a process: allocate on this one
        _range = device.Accelerator.Allocate1D([0, HistogramBinning.InfinityBits]);
        _counts = device.Accelerator.Allocate1D<long>(HistogramBinning.Slots);
        _counts.MemSetToZero();
    }

    /// <summary>
    /// Count views of CPU-accelerator memory on the host with SIMD (default) rather than with the simulated kernels
    /// (tests turn it off to check the kernels' semantics on the CPU accelerator).
    /// </summary>
    internal bool HostPath { get; init; } = true;

    /// <summary>Tensor name.</summary>
    public string Name { get; }

    /// <summary>The range: fixed once counting began, else the largest finite |x| observed so far (synchronises).</summary>
    public float Amax => _amax ?? CurrentRange().Amax;

    /// <summary>True once the range is fixed (pass 2 may run).</summary>
    public bool RangeFixed => _amax is not null;

    /// <summary>Pass 1: folds the finite |x| range of <paramref name="x"/> in (asynchronous).</summary>
    public void ObserveRange(ArrayView<float> x)
    {
        if (_amax is not null)
        {
            throw new InvalidOperationException($"The range of '{Name}' is already fixed; pass 1 is over.");
        }

        _rangeBatches++;
        if (x.Length > 0 && HostPath && !_device.IsCuda && HostHistogram.Applies(x))
        {
            _device.Synchronize();
            HostHistogram.Range(x, _range.View);
        }
        else if (x.Length > 0)
        {
            HistogramLaunch.Range(_device, x, _range.View);
        }
    }

    /// <summary>Ends pass 1: synchronises, reads the range and fixes amax (0 when no finite value was seen).</summary>
    public float FinishRange()
    {
        if (_amax is { } fixedAmax)
        {
            return fixedAmax;
        }

        (_amax, _minAbs) = CurrentRange();
        return _amax.Value;
    }

    /// <summary>Fixes the range from elsewhere (another device's pass 1, a merged range), instead of pass 1.</summary>
    public void SetRange(float amax, float minAbs)
    {
        if (!float.IsFinite(amax) || amax < 0f)
        {
            throw new ArgumentException($"amax = {amax} must be finite and ≥ 0.", nameof(amax));
        }

        if (_rangeBatches > 0 || _amax is not null)
        {
            throw new InvalidOperationException($"The range of '{Name}' was already observed or set.");
        }

        _amax = amax;
        _minAbs = minAbs;
    }

    /// <summary>Pass 2: counts <paramref name="x"/> into the histogram over [0, amax] (asynchronous); the first call fixes the range.</summary>
    public void Count(ArrayView<float> x)
    {
        float amax = FinishRange();
        _histogramBatches++;
        if (x.Length > 0 && HostPath && !_device.IsCuda && HostHistogram.Applies(x))
        {
            _device.Synchronize();
            HostHistogram.Count(x, _counts.View, amax);
        }
        else if (x.Length > 0)
        {
            HistogramLaunch.Histogram(_device, x, _counts.View, amax);
        }
    }

    /// <summary>Synchronises and returns the histogram counted so far.</summary>
    public TensorHistogram ToHistogram()
    {
        float amax = FinishRange();
        _device.Accelerator.Bind();
        _device.Synchronize();
        return HistogramBinning.FromSlots(Name, _counts.GetAsArray1D(), amax, _minAbs, _histogramBatches);
    }

    private (float Amax, float MinAbs) CurrentRange()
    {
        _device.Accelerator.Bind();
        _device.Synchronize();
        var bits = _range.GetAsArray1D();
        return (BitConverter.Int32BitsToSingle(bits[0]), BitConverter.Int32BitsToSingle(bits[1]));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _range.Dispose();
        _counts.Dispose();
    }
}
