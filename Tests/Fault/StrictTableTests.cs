using ILGPUInt8.Calibration;
using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Calibration.Methods;
using ILGPUInt8.Calibration.Tables;
using ILGPUInt8.Tests.Infrastructure;
using ILGPUInt8.Tests.Networks;
using Xunit;

namespace ILGPUInt8.Tests.Fault;

/// <summary>
/// Tables and ranges that used to give silently wrong INT8 results (exit 0): empty tables, a missing tensor, insane
/// scales, calibration data with no finite non-zero value, a table made with other preprocessing.
/// </summary>
public sealed class StrictTableTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ilgpu-int8-strict-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_header_only_cache_is_an_error()
    {
        var path = Path.Combine(_dir, "empty.cache");
        File.WriteAllText(path, "TRT-8601-EntropyCalibration2\n");
        var ex = Assert.Throws<InvalidDataException>(() => CalibrationTablePair.Read(path));
        Assert.Contains("no tensor", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_json_table_without_tensors_is_an_error()
    {
        var json = "{\"format\": \"ilgpu-int8-calibration/1\", \"method\": \"entropy\", \"tensors\": []}";
        Assert.Contains("no tensor", Assert.Throws<InvalidDataException>(() => CalibrationJson.Deserialize(json)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_threshold_dictionary_is_refused_by_the_builder()
    {
        var config = new BuilderConfig { MaxBatchSize = 1, Int8 = true, CalibrationTable = new Dictionary<string, float>() };
        Assert.Throws<ArgumentException>(() => EngineBuilder.BuildCpu(TestNetworks.SmallCnn(), config));
    }

    [Theory]
    [InlineData(1e-10f)]
    [InlineData(1e-40f)]
    [InlineData(1e9f)]
    public void Insane_scales_are_errors(float scale)
    {
        var path = Path.Combine(_dir, "insane.cache");
        File.WriteAllText(path, $"TRT-8601-EntropyCalibration2\ndata: {CalibrationCache.ToHex(0.01f)}\nconv1: {CalibrationCache.ToHex(scale)}\n");
        var ex = Assert.Throws<InvalidDataException>(() => CalibrationTablePair.Read(path));
        Assert.Contains("conv1", ex.Message, StringComparison.Ordinal);
        var config = new BuilderConfig { MaxBatchSize = 1, Int8 = true, CalibrationTable = new Dictionary<string, float> { ["data"] = 1f, ["conv1"] = scale * 127f } };
        Assert.Throws<ArgumentException>(() => EngineBuilder.BuildCpu(TestNetworks.SmallCnn(), config));
    }

    [Fact]
    public void A_table_missing_a_tensor_is_an_error_unless_allowed_by_name()
    {
        var net = TestNetworks.SmallCnn();
        var thresholds = TestNetworks.Thresholds(net, TestNetworks.Inputs(net, 2), 2);
        Assert.True(thresholds.Remove("relu2"));
        var config = new BuilderConfig { MaxBatchSize = 2, Int8 = true, CalibrationTable = thresholds };
        var ex = Assert.Throws<InvalidDataException>(() => EngineBuilder.BuildCpu(TestNetworks.SmallCnn(), config));
        Assert.Contains("'relu2'", ex.Message, StringComparison.Ordinal);

        config.AllowMissingRanges.Add("relu2");
        using var engine = EngineBuilder.BuildCpu(TestNetworks.SmallCnn(), config);
        Assert.Contains(engine.Layers, l => !l.Int8);
    }

    [Fact]
    public void A_complete_table_builds()
    {
        var net = TestNetworks.SmallCnn();
        var config = new BuilderConfig { MaxBatchSize = 2, Int8 = true, CalibrationTable = TestNetworks.Thresholds(net, TestNetworks.Inputs(net, 2), 2) };
        using var engine = EngineBuilder.BuildCpu(net, config);
        Assert.Contains(engine.Layers, l => l.Int8);
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void Calibration_over_data_without_a_finite_non_zero_value_fails_naming_the_input(float value)
    {
        var data = Enumerable.Repeat(value, 2 * 3 * 4).ToArray();
        var source = new InMemoryDataSource([new CalibrationBatch(0, 2, new Dictionary<string, HostTensor> { ["pixels"] = new HostTensor(data, 2, 3, 2, 2) })]);
        using var activations = new InputActivationSource(TestDevices.Cpu);
        var ex = Assert.Throws<InvalidDataException>(() => new Calibrator(TestDevices.Cpu, new EntropyCalibrator()).Run(source, activations, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("'pixels'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Saturating_and_empty_tensors_are_warned_about_in_the_table_json()
    {
        // x: ordinary data with one far outlier (percentile 50 clips half); "zero": an all-zero intermediate tensor.
        static IEnumerable<(string, float[])> Layer(string name, float[] x)
        {
            yield return (name, x);
            yield return ("zero", new float[x.Length]);
        }

        var data = Enumerable.Range(0, 64).Select(i => (i % 8) + 1f).ToArray();
        var source = new InMemoryDataSource([new CalibrationBatch(0, 1, new Dictionary<string, HostTensor> { ["x"] = new HostTensor(data, 1, 1, 8, 8) })]);
        using var activations = new InputActivationSource(TestDevices.Cpu, Layer);
        var run = new Calibrator(TestDevices.Cpu, new PercentileCalibrator(50)).Run(source, activations, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Contains(run.Table.Warnings, w => w.Contains("'x'", StringComparison.Ordinal) && w.Contains("saturates", StringComparison.Ordinal));
        Assert.Contains(run.Table.Warnings, w => w.Contains("'zero'", StringComparison.Ordinal) && w.Contains("all zero", StringComparison.Ordinal));
        var back = CalibrationJson.Deserialize(CalibrationJson.Serialize(run.Table));
        Assert.Equal(run.Table.Warnings, back.Warnings);
    }

    [Fact]
    public void A_table_made_with_other_preprocessing_is_refused()
    {
        var net = TestNetworks.SmallCnn();
        var thresholds = TestNetworks.Thresholds(net, TestNetworks.Inputs(net, 2), 2);
        var table = new CalibrationTable("minmax", thresholds.Select(kv => new TensorCalibration(kv.Key, "minmax", kv.Value, kv.Value / 127f)),
            preprocessing: new Preprocessing(1 / 255.0, [0.286], [0.353]));
        var path = Path.Combine(_dir, "t.json");
        CalibrationTablePair.Write(table, path);
        var read = CalibrationTablePair.Read(Path.Combine(_dir, "t.cache"));
        Assert.Equal(table.Preprocessing, read.Preprocessing);

        var config = new BuilderConfig { MaxBatchSize = 2, Int8 = true, InputPreprocessing = Preprocessing.UnitPixels }.UseTable(read);
        var ex = Assert.Throws<ArgumentException>(() => EngineBuilder.BuildCpu(TestNetworks.SmallCnn(), config));
        Assert.Contains("preprocess", ex.Message, StringComparison.Ordinal);

        config.InputPreprocessing = Preprocessing.Parse("scale=0.00392156862745098;mean=0.2860;std=0.3530");
        using var engine = EngineBuilder.BuildCpu(TestNetworks.SmallCnn(), config);
    }

    [Fact]
    public void A_cache_beside_a_json_of_another_write_is_an_error()
    {
        // What a kill between the two renames leaves (a new cache, the old JSON): reading the cache must not pair them.
        var net = TestNetworks.SmallCnn();
        var thresholds = TestNetworks.Thresholds(net, TestNetworks.Inputs(net, 2), 2);
        CalibrationTable Table(float factor) =>
            new("minmax", thresholds.Select(kv => new TensorCalibration(kv.Key, "minmax", kv.Value * factor, kv.Value * factor / 127f)));
        var path = Path.Combine(_dir, "pair.cache");
        CalibrationTablePair.Write(Table(1f), path);
        Table(2f).ToCache().Write(path);
        var ex = Assert.Throws<InvalidDataException>(() => CalibrationTablePair.Read(path));
        Assert.Contains("not one table", ex.Message, StringComparison.Ordinal);
        Assert.Equal(thresholds["conv1"], CalibrationTablePair.Read(path + ".json")["conv1"].Threshold, 5);
    }

    [Fact]
    public void The_shipped_models_carry_their_preprocessing()
    {
        foreach (var model in new[] { Onnx.OnnxFixtures.FashionCnn, Onnx.OnnxFixtures.FashionCnnQdq })
        {
            var loaded = Layers.Onnx.OnnxNetworkLoader.Load(model);
            Assert.True(loaded.Preprocessing?.Matches(new Preprocessing(1 / 255.0, [Layers.Data.FashionMnist.Mean], [Layers.Data.FashionMnist.Std])), model);
        }
    }
}
