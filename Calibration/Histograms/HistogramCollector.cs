using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Calibration.Histograms;

/// <summary>
/// Collects one tensor's |x| histogram on the device in two passes over the calibration batches, which makes the
/// result independent of batch order: pass 1 (<see cref="ObserveRange"/>) takes amax = max |x| over all batches,
/// pass 2 (<see cref="Count"/>) bins every batch against that fixed amax and adds 64-bit counts. Max and sums do not
/// depend on order, and two collectors over halves of the data with the same amax merge exactly.
/// </summary>
public sealed class HistogramCollector : IDisposable
{
    private readonly Int8Device _device;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _amaxBits;
    private readonly MemoryBuffer1D<long, Stride1D.Dense> _counts;
    private int _batches;
    private bool _counting;

    /// <summary>A collector for one tensor on a device.</summary>
    public HistogramCollector(Int8Device device, string name)
    {
        _device = device ?? throw new ArgumentNullException(nameof(device));
        Name = name;
        _amaxBits = device.Accelerator.Allocate1D<int>(1);
        _amaxBits.MemSetToZero();
        _counts = device.Accelerator.Allocate1D<long>(TensorHistogram.Bins + 2);
        _counts.MemSetToZero();
    }

    /// <summary>Tensor name.</summary>
    public string Name { get; }

    /// <summary>The largest finite |x| observed so far.</summary>
    public float Amax => BitConverter.Int32BitsToSingle(_amaxBits.GetAsArray1D()[0]);

    /// <summary>Pass 1: folds a batch into amax (asynchronous).</summary>
    public void ObserveRange(ArrayView<float> x)
    {
        if (_counting)
        {
            throw new InvalidOperationException($"'{Name}': the range is fixed once counting has begun (two-pass rule).");
        }

        if (x.Length == 0)
        {
            return;
        }

        var kernel = _device.GetKernel("calib.amax", a => a.LoadStreamKernel<ArrayView<float>, ArrayView<int>, int>(HistogramKernels.Amax));
        kernel(Launch(x.Length), x, _amaxBits.View, (int)x.Length);
    }

    /// <summary>Pass 2: counts a batch against the amax of pass 1 (asynchronous).</summary>
    public void Count(ArrayView<float> x)
    {
        if (!_counting)
        {
            _counting = true;
            _fixedAmax = Amax;
        }

        _batches++;
        if (x.Length == 0)
        {
            return;
        }

        var kernel = _device.GetKernel("calib.count", a => a.LoadStreamKernel<ArrayView<float>, ArrayView<long>, float, int>(HistogramKernels.Count));
        kernel(Launch(x.Length), x, _counts.View, _fixedAmax, (int)x.Length);
    }

    private float _fixedAmax;

    /// <summary>The histogram counted so far.</summary>
    public TensorHistogram ToHistogram()
    {
        _device.Synchronize();
        var all = _counts.GetAsArray1D();
        var counts = all[..TensorHistogram.Bins];
        return new TensorHistogram(Name, _counting ? _fixedAmax : Amax, counts, all[TensorHistogram.Bins], all[TensorHistogram.Bins + 1], _batches);
    }

    private KernelConfig Launch(long length)
    {
        int groups = (int)Math.Min((length + HistogramKernels.GroupSize - 1) / HistogramKernels.GroupSize, Math.Max(1, _device.Accelerator.NumMultiprocessors) * 8L);
        return new KernelConfig(groups, HistogramKernels.GroupSize);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _amaxBits.Dispose();
        _counts.Dispose();
    }
}
