using ILGPU.Runtime;
using ILGPUInt8.Calibration.Histograms;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Calibration;

public sealed class DeviceHistogramTests
{
    [Fact]
    public void Device_histogram_equals_cpu_histogram_on_cpu_accelerator() => Check(TestDevices.Cpu, batches: 3, length: 3000);

    [Fact]
    [Trait("Category", "Gpu")]
    public void Device_histogram_equals_cpu_histogram_on_gpu() => Check(TestDevices.Cuda, batches: 4, length: 3_000_001);

    [Fact]
    public void Result_does_not_depend_on_batch_order()
    {
        var device = TestDevices.Cpu;
        var batches = Batches(3, 2000, seed: 5);
        var forward = Collect(device, batches);
        var backward = Collect(device, [.. Enumerable.Reverse(batches)]);
        Assert.Equal(forward.Amax, backward.Amax);
        Assert.Equal(forward.Counts, backward.Counts);
    }

    private static void Check(Int8Device device, int batches, int length)
    {
        var data = Batches(batches, length, seed: length);
        var expected = HistogramReference.Build("t", data);
        var actual = Collect(device, data);
        Assert.Equal(expected.Amax, actual.Amax);
        Assert.Equal(expected.NaNCount, actual.NaNCount);
        Assert.Equal(expected.InfCount, actual.InfCount);
        for (var b = 0; b < TensorHistogram.Bins; b++)
        {
            Assert.True(expected.Counts[b] == actual.Counts[b], $"bin {b}: {actual.Counts[b]} vs {expected.Counts[b]} on {device.Kind}");
        }
    }

    private static TensorHistogram Collect(Int8Device device, IReadOnlyList<float[]> batches)
    {
        using var collector = new HistogramCollector(device, "t");
        var buffers = batches.Select(b => device.Accelerator.Allocate1D(b)).ToList();
        try
        {
            foreach (var b in buffers)
            {
                collector.ObserveRange(b.View);
            }

            foreach (var b in buffers)
            {
                collector.Count(b.View);
            }

            return collector.ToHistogram();
        }
        finally
        {
            buffers.ForEach(b => b.Dispose());
        }
    }

    private static List<float[]> Batches(int count, int length, int seed)
    {
        var random = new Random(seed);
        var result = new List<float[]>();
        for (var i = 0; i < count; i++)
        {
            var batch = new float[length];
            for (var j = 0; j < length; j++)
            {
                batch[j] = (float)((random.NextDouble() - 0.3) * (j % 97 == 0 ? 40 : 3));
            }

            batch[0] = float.NaN;
            batch[1] = float.NegativeInfinity;
            batch[2] = 0f;
            result.Add(batch);
        }

        return result;
    }
}
