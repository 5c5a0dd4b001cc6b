using ILGPU.Runtime;
using ILGPUInt8.Calibration.Histograms;
using ILGPUInt8.Calibration.Reference;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Calibration;

public sealed class DeviceHistogramTests
{
    public static TheoryData<int, int> Cases => new()
    {
        { 0, 1 },
        { 1, 0 },
        { 3, 1 },
        { 5, 2 },
        { 17, 3 },
        { 1000, 0 },
        { 4099, 1 },
        { 20_011, 2 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Device_histogram_equals_host_reference(int length, int offset)
    {
        // An offset sub-view exercises the head / 16-byte vectors / tail split.
        var data = Values(length, seed: length + offset);
        CheckOnDevice(TestDevices.Cpu, [data], offset);
        CheckOnDevice(TestDevices.Cpu, [data], offset, hostPath: false);
    }

    [Fact]
    public void Host_path_on_the_cpu_accelerator_equals_host_reference_on_a_million_values()
    {
        var relu = Values(1_000_003, seed: 25).Select((v, i) => i % 3 == 0 ? Math.Max(v, 0f) : v).ToArray();
        CheckOnDevice(TestDevices.Cpu, [relu, Values(70_001, seed: 26)], 3);
    }

    [Fact]
    public void Several_batches_accumulate_and_order_does_not_matter()
    {
        var batches = Enumerable.Range(0, 4).Select(k => Values(3000 + (k * 37), seed: 100 + k).Select(v => v * (k + 1)).ToArray()).ToList();
        var forward = CheckOnDevice(TestDevices.Cpu, batches, 0);
        batches.Reverse();
        var backward = CheckOnDevice(TestDevices.Cpu, batches, 0);
        Exact.Equal<long>(forward.Counts, backward.Counts, "histogram, batches reversed");
        Assert.Equal(forward.Amax, backward.Amax);
    }

    [Fact]
    public void Histograms_of_two_halves_merge_exactly()
    {
        var device = TestDevices.Cpu;
        var data = Values(5000, seed: 7);
        var (amax, minAbs) = HistogramReference.Range(data);
        TensorHistogram Half(float[] part)
        {
            using var collector = new HistogramCollector(device, "t");
            collector.SetRange(amax, minAbs);
            using var buffer = device.Accelerator.Allocate1D(part);
            collector.Count(buffer.View);
            return collector.ToHistogram();
        }

        var merged = Half(data[..2500]).Merge(Half(data[2500..]));
        var whole = HistogramReference.Build("t", [data]);
        Exact.Equal<long>(whole.Counts, merged.Counts, "merged halves");
        Assert.Equal(whole.NaNCount, merged.NaNCount);
        Assert.Equal(2, merged.Batches);
        var other = HistogramReference.Build("t", [[1e9f]]);
        Assert.Throws<ArgumentException>(() => merged.Merge(other));
    }

    [Fact]
    public void Non_finite_values_are_counted_apart()
    {
        float[] data = [float.NaN, 1f, float.PositiveInfinity, -2f, float.NegativeInfinity, float.NegativeInfinity, -0f, float.NaN, float.NaN];
        var h = CheckOnDevice(TestDevices.Cpu, [data], 0);
        Assert.Equal(3, h.NaNCount);
        Assert.Equal(3, h.InfCount);
        Assert.Equal(3, h.Total);
        Assert.Equal(2f, h.Amax);
        Assert.Equal(0f, h.MinAbs);
        Assert.Equal(2, h.Counts[0] + h.Counts[1024]); // -0 → bin 0, 1 → bin 1024
        Assert.Equal(1, h.Counts[2047]);
    }

    [Fact]
    public void All_zero_and_empty_tensors_have_defined_histograms()
    {
        var zeros = CheckOnDevice(TestDevices.Cpu, [new float[40]], 0);
        Assert.Equal(0f, zeros.Amax);
        Assert.Equal(40, zeros.Counts[0]);
        var empty = CheckOnDevice(TestDevices.Cpu, [[]], 0);
        Assert.Equal(0, empty.Total);
        Assert.Equal(float.PositiveInfinity, empty.MinAbs);
        Assert.Equal(40, zeros.ToMathNet().DataCount);
    }

    [Fact]
    public void MathNet_histogram_holds_the_device_counts()
    {
        var h = HistogramReference.Build("t", [Values(3000, seed: 3)]);
        var m = h.ToMathNet();
        Assert.Equal(HistogramBinning.Bins, m.BucketCount);
        Assert.Equal(h.Total, m.DataCount);
        Assert.Equal(h.Counts[100], m[100].Count);
        Assert.Equal(h.Amax, m.UpperBound, 6);
        Assert.InRange(h.Statistics().Mean, 0, h.Amax);
    }

    [Fact]
    public void Pass_one_after_counting_began_is_rejected()
    {
        using var collector = new HistogramCollector(TestDevices.Cpu, "t");
        using var buffer = TestDevices.Cpu.Accelerator.Allocate1D(new float[] { 1f, 2f, 3f, 4f });
        collector.ObserveRange(buffer.View);
        collector.Count(buffer.View);
        var ex = Assert.Throws<InvalidOperationException>(() => collector.ObserveRange(buffer.View));
        Assert.Contains("'t'", ex.Message, StringComparison.Ordinal);
        Assert.Equal(4f, collector.Amax);
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Gpu_histogram_of_millions_equals_host_reference()
    {
        var device = TestDevices.Cuda;
        var batches = new List<float[]> { Values(6_000_001, seed: 21), Values(3_333_333, seed: 22).Select(v => v * 3).ToArray() };
        batches[1][17] = float.NaN;
        CheckOnDevice(device, batches, 0);
        CheckOnDevice(device, [Values(1_000_003, seed: 23)], 3);
        var relu = Values(4_000_000, seed: 24).Select(v => Math.Max(v, 0f)).ToArray();
        CheckOnDevice(device, [relu], 1);
    }

    /// <summary>Runs both passes on the device over the batches (each copied at an element offset) and compares with the host.</summary>
    private static TensorHistogram CheckOnDevice(Int8Device device, IReadOnlyList<float[]> batches, int offset, bool hostPath = true)
    {
        var expected = HistogramReference.Build("t", batches);
        using var collector = new HistogramCollector(device, "t") { HostPath = hostPath };
        var buffers = batches.Select(b =>
        {
            var buffer = device.Accelerator.Allocate1D<float>(b.Length + offset + 1);
            buffer.MemSetToZero();
            buffer.View.SubView(offset, b.Length).CopyFromCPU(b);
            return buffer;
        }).ToList();
        try
        {
            foreach (var (b, buffer) in batches.Zip(buffers))
            {
                collector.ObserveRange(buffer.View.SubView(offset, b.Length));
            }

            Assert.Equal(expected.Amax, collector.FinishRange());
            foreach (var (b, buffer) in batches.Zip(buffers))
            {
                collector.Count(buffer.View.SubView(offset, b.Length));
            }

            var actual = collector.ToHistogram();
            string what = $"histogram on {device.Kind}, lengths [{string.Join(", ", batches.Select(b => b.Length))}], offset {offset}";
            Exact.Equal<long>(expected.Counts, actual.Counts, what);
            Assert.Equal(expected.MinAbs, actual.MinAbs);
            Assert.Equal(expected.NaNCount, actual.NaNCount);
            Assert.Equal(expected.InfCount, actual.InfCount);
            Assert.Equal(batches.Count, actual.Batches);
            return actual;
        }
        finally
        {
            foreach (var buffer in buffers)
            {
                buffer.Dispose();
            }
        }
    }

    /// <summary>Normal values with edges mixed in: ±0, denormals, exact bin edges, the extremes, rare NaN/±Inf.</summary>
    internal static float[] Values(int n, int seed)
    {
        var random = new Random(seed);
        var data = new float[n];
        for (var i = 0; i < n; i++)
        {
            data[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        }

        float[] edges = [0f, -0f, float.Epsilon, -1e-40f, 1e-30f, 4f, -4f, 4f * 1023 / 2048, 4f * 2047 / 2048, float.NaN, float.PositiveInfinity, float.NegativeInfinity];
        for (var e = 0; e < edges.Length && e < n; e++)
        {
            data[random.Next(n)] = edges[e];
        }

        return data;
    }

    [Fact]
    public void Device_histogram_equals_cpu_histogram_on_cpu_accelerator() => CheckLanded(TestDevices.Cpu, batches: 3, length: 3000);

    [Fact]
    [Trait("Category", "Gpu")]
    public void Device_histogram_equals_cpu_histogram_on_gpu() => CheckLanded(TestDevices.Cuda, batches: 4, length: 3_000_001);

    [Fact]
    public void Result_does_not_depend_on_batch_order()
    {
        var device = TestDevices.Cpu;
        var batches = LandedBatches(3, 2000, seed: 5);
        var forward = Collect(device, batches);
        var backward = Collect(device, [.. Enumerable.Reverse(batches)]);
        Assert.Equal(forward.Amax, backward.Amax);
        Assert.Equal(forward.Counts, backward.Counts);
    }

    private static void CheckLanded(Int8Device device, int batches, int length)
    {
        var data = LandedBatches(batches, length, seed: length);
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

    private static List<float[]> LandedBatches(int count, int length, int seed)
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
