using ILGPUInt8.Calibration;
using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Calibration.Methods;
using ILGPUInt8.Calibration.Reference;
using ILGPUInt8.Calibration.Tables;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Calibration;

public sealed class CalibratorTests
{
    [Fact]
    public void Calibrating_the_inputs_matches_histograms_and_methods_on_the_host()
    {
        var batches = Batches(4, seed: 1);
        using var activations = new InputActivationSource(TestDevices.Cpu);
        var run = new Calibrator(TestDevices.Cpu, new EntropyCalibrator()) { ModelHash = "m" }.Run(new InMemoryDataSource(batches), activations, cancellationToken: TestContext.Current.CancellationToken);

        var expected = HistogramReference.Build("x", [.. batches.Select(b => b.Inputs["x"].Data)]);
        var h = Assert.Single(run.Histograms);
        Exact.Equal<long>(expected.Counts, h.Counts, "calibrator histogram of the input");
        var entry = run.Table["x"];
        Assert.Equal(new EntropyCalibrator().Compute(expected).Threshold, entry.Threshold);
        Assert.Equal(4, entry.Batches);
        Assert.Equal("m", run.Table.ModelHash);
        Assert.NotNull(run.Table.DataHash);
        Assert.Equal(expected.Amax, entry.Amax);
    }

    [Fact]
    public void A_tiny_layer_is_observed_tensor_by_tensor()
    {
        // y = relu(2x - 0.5): the calibrator sees "x", "pre" and "y", the last with half its values exact zeros.
        static IEnumerable<(string, float[])> Layer(string name, float[] x)
        {
            var pre = x.Select(v => (2 * v) - 0.5f).ToArray();
            yield return (name, x);
            yield return ("pre", pre);
            yield return ("y", pre.Select(v => Math.Max(v, 0f)).ToArray());
        }

        using var activations = new InputActivationSource(TestDevices.Cpu, Layer);
        var run = new Calibrator(TestDevices.Cpu, new MinMaxCalibrator()).Run(new InMemoryDataSource(Batches(3, seed: 2)), activations, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(["x", "pre", "y"], run.Table.Tensors.Select(t => t.Name));
        var y = run.Histograms[2];
        Assert.True(y.Counts[0] > y.Total / 4, "ReLU zeros land in bin 0");
        Assert.True(run.Table["y"].Amax <= run.Table["pre"].Amax);
    }

    [Fact]
    public void Batch_order_does_not_change_the_table()
    {
        var batches = Batches(5, seed: 3);
        using var activations = new InputActivationSource(TestDevices.Cpu);
        var calibrator = new Calibrator(TestDevices.Cpu, new EntropyCalibrator());
        var forward = calibrator.Run(new InMemoryDataSource(batches), activations, cancellationToken: TestContext.Current.CancellationToken).Table;
        var shuffled = batches.AsEnumerable().Reverse().Select((b, k) => new CalibrationBatch(k, b.Size, b.Inputs)).ToList();
        var backward = calibrator.Run(new InMemoryDataSource(shuffled), activations, cancellationToken: TestContext.Current.CancellationToken).Table;
        Assert.Equal(forward.Tensors, backward.Tensors);
        Assert.Equal(forward.DataHash, backward.DataHash);
    }

    [Fact]
    public void Progress_is_reported_per_batch_and_tensor()
    {
        var reports = new List<CalibrationProgress>();
        using var activations = new InputActivationSource(TestDevices.Cpu);
        new Calibrator(TestDevices.Cpu, new PercentileCalibrator()).Run(new InMemoryDataSource(Batches(3, seed: 4)), activations, new SyncProgress(reports), TestContext.Current.CancellationToken);
        Assert.Equal(
            [
                new CalibrationProgress(CalibrationPhase.Range, 1, 3, 1), new CalibrationProgress(CalibrationPhase.Range, 2, 3, 1), new CalibrationProgress(CalibrationPhase.Range, 3, 3, 1),
                new CalibrationProgress(CalibrationPhase.Histogram, 1, 3, 1), new CalibrationProgress(CalibrationPhase.Histogram, 2, 3, 1), new CalibrationProgress(CalibrationPhase.Histogram, 3, 3, 1),
                new CalibrationProgress(CalibrationPhase.Thresholds, 1, 1, 1),
            ],
            reports);
    }

    [Fact]
    public void Cancellation_is_honoured_between_batches()
    {
        using var cts = new CancellationTokenSource();
        var reports = new List<CalibrationProgress>();
        var progress = new SyncProgress(reports, p =>
        {
            if (p.Done == 2)
            {
                cts.Cancel();
            }
        });
        using var activations = new InputActivationSource(TestDevices.Cpu);
        Assert.ThrowsAny<OperationCanceledException>(() =>
            new Calibrator(TestDevices.Cpu, new MinMaxCalibrator()).Run(new InMemoryDataSource(Batches(5, seed: 5)), activations, progress, cts.Token));
        Assert.Equal(2, reports.Count);
    }

    [Fact]
    public void An_empty_data_source_is_an_error()
    {
        using var activations = new InputActivationSource(TestDevices.Cpu);
        var ex = Assert.Throws<InvalidOperationException>(() => new Calibrator(TestDevices.Cpu, new MinMaxCalibrator()).Run(new InMemoryDataSource([]), activations, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("no batches", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Table_of_a_run_survives_both_formats()
    {
        using var activations = new InputActivationSource(TestDevices.Cpu);
        var table = new Calibrator(TestDevices.Cpu, new MseCalibrator()) { ModelHash = "h" }.Run(new InMemoryDataSource(Batches(2, seed: 6)), activations, cancellationToken: TestContext.Current.CancellationToken).Table;
        var model = new ModelSignature("h", ["x"]);
        Assert.Equal(table.Tensors, CalibrationJson.Deserialize(CalibrationJson.Serialize(table), model).Tensors);
        var cache = CalibrationCache.Parse(table.ToCache().ToText());
        Assert.Equal(table["x"].Scale, CalibrationTable.FromCache(cache, model)["x"].Scale);
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Calibration_on_the_gpu_gives_the_cpu_table()
    {
        var device = TestDevices.Cuda;
        var random = new Random(8);
        var batches = Enumerable.Range(0, 6).Select(k => new CalibrationBatch(k, 4, new Dictionary<string, HostTensor>
        {
            ["x"] = new HostTensor([.. Enumerable.Range(0, 4 * 3 * 64 * 64).Select(_ => (float)(random.NextDouble() - 0.4) * (k + 1))], 4, 3, 64, 64),
        })).ToList();
        static IEnumerable<(string, float[])> Relu(string name, float[] x) => [(name, x), ("relu", [.. x.Select(v => Math.Max(v, 0f))])];
        using var gpu = new InputActivationSource(device, Relu);
        using var cpu = new InputActivationSource(TestDevices.Cpu, Relu);
        var onGpu = new Calibrator(device, new EntropyCalibrator()).Run(new InMemoryDataSource(batches), gpu, cancellationToken: TestContext.Current.CancellationToken);
        var onCpu = new Calibrator(TestDevices.Cpu, new EntropyCalibrator()).Run(new InMemoryDataSource(batches), cpu, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(onCpu.Table.Tensors, onGpu.Table.Tensors);
        Assert.Equal(onCpu.Table.DataHash, onGpu.Table.DataHash);
    }

    internal static List<CalibrationBatch> Batches(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(k =>
        {
            var data = Enumerable.Range(0, 2 * 3 * 5 * 7).Select(_ => (float)((random.NextDouble() * 2) - 1) * (1 + k)).ToArray();
            return new CalibrationBatch(k, 2, new Dictionary<string, HostTensor> { ["x"] = new HostTensor(data, 2, 3, 5, 7) });
        })];
    }

    /// <summary>IProgress that records synchronously (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SyncProgress(List<CalibrationProgress> reports, Action<CalibrationProgress>? also = null) : IProgress<CalibrationProgress>
    {
        public void Report(CalibrationProgress value)
        {
            reports.Add(value);
            also?.Invoke(value);
        }
    }
}
