using ILGPUInt8.Calibration.IO;
using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Layers.Models;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Runtime;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Networks;

/// <summary>
/// Build-time tactic timing on the CPU accelerator (forced on: Auto times on CUDA only): the choices are among the
/// variants that can run each step, give the same bits as the heuristic engine, travel in the engine file, and a timing
/// cache makes the second build time nothing. The GPU case (EngineGpuTests-style) runs the same on CUDA.
/// </summary>
public sealed class TacticTimingTests
{
    private static (NetworkDefinition Net, Dictionary<string, float[]> Inputs) Network()
    {
        var net = TestNetworks.SmallCnn();
        var inputs = TestNetworks.Inputs(net, 3);
        TestNetworks.SetRanges(net, inputs, 3);
        return (net, inputs);
    }

    private static Engine Build(NetworkDefinition net, TacticTiming timing, TimingCache? cache = null) =>
        EngineBuilder.Build(net, new BuilderConfig { MaxBatchSize = 3, Int8 = true, TacticTiming = timing, TimingCache = cache ?? new TimingCache(), TacticRepeats = 1 }, TestDevices.Cpu);

    [Fact]
    public void Timed_engine_chooses_among_the_candidates_and_gives_the_heuristic_engines_bits()
    {
        var (net, inputs) = Network();
        using var heuristic = Build(net, TacticTiming.Off);
        using var timed = Build(net, TacticTiming.On);
        Assert.Empty(heuristic.Tactics);
        Assert.NotEmpty(timed.Tactics);

        // Each INT8 convolution / fully connected step timed at batch 3 and at batch 1, every candidate one that can run it.
        var int8Convs = timed.Plan.Nodes.Where(n => n.Int8 && n.Layer is ILGPUInt8.Layers.Operators.ConvolutionLayer or ILGPUInt8.Layers.Operators.FullyConnectedLayer).ToList();
        Assert.NotEmpty(int8Convs);
        foreach (var choice in timed.Tactics)
        {
            Assert.Contains(choice.Batch, new[] { 1, 3 });
            Assert.False(choice.FromCache);
            Assert.True(choice.Candidates.Count >= 2, $"{choice.Layer}: {choice.Candidates.Count} candidates");
            Assert.Equal(choice.Candidates.Values.Min(), choice.Milliseconds);
            Assert.Equal(choice.Candidates.MinBy(c => c.Value).Key, choice.Variant);
            Assert.All(choice.Candidates.Keys, name => Assert.NotNull(ConvVariants.Get(name)));
            var node = timed.Plan.Nodes.Single(n => n.Name == choice.Layer);
            Assert.Contains((choice.Batch, choice.Variant), node.Tactics);
        }

        Assert.Contains(timed.Layers, l => l.KernelName.EndsWith("[timed]", StringComparison.Ordinal));
        Assert.DoesNotContain(heuristic.Layers, l => l.KernelName.Contains("[timed]", StringComparison.Ordinal));
        TestNetworks.SameBits(TestNetworks.Run(heuristic, inputs, 3), TestNetworks.Run(timed, inputs, 3), "timed vs heuristic tactics");
        using var context = timed.CreateExecutionContext();
        var item = 3 * 8 * 8;
        using var heuristicContext = heuristic.CreateExecutionContext();
        Exact.EqualBits(heuristicContext.Execute(inputs["data"][..item], 1), context.Execute(inputs["data"][..item], 1), "batch 1 (its own tactics)");
    }

    [Fact]
    public void Tactics_travel_in_the_engine_file()
    {
        var (net, inputs) = Network();
        using var timed = Build(net, TacticTiming.On);
        using var stream = new MemoryStream();
        timed.Serialize(stream);
        stream.Position = 0;
        using var loaded = Engine.Deserialize(stream, TestDevices.Cpu);
        Assert.Equal(
            timed.Plan.Nodes.Select(n => string.Join(",", n.Tactics)),
            loaded.Plan.Nodes.Select(n => string.Join(",", n.Tactics)));
        Assert.Equal(timed.Layers.Select(l => l.KernelName), loaded.Layers.Select(l => l.KernelName));
        TestNetworks.SameBits(TestNetworks.Run(timed, inputs, 3), TestNetworks.Run(loaded, inputs, 3), "loaded engine");
    }

    [Fact]
    public void Timing_cache_makes_the_second_build_time_nothing_and_survives_its_file()
    {
        var (net, _) = Network();
        var cache = new TimingCache();
        using var first = Build(net, TacticTiming.On, cache);
        Assert.True(cache.Misses > 0);
        Assert.Equal(0, cache.Hits);
        Assert.Equal(first.Tactics.Count, cache.Count);

        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "timing.cache");
        cache.Save(path);
        var loaded = TimingCache.Load(path);
        Assert.Equal(cache.Count, loaded.Count);
        using var second = Build(net, TacticTiming.On, loaded);
        Assert.Equal(0, loaded.Misses);
        Assert.Equal(first.Tactics.Count, loaded.Hits);
        Assert.All(second.Tactics, c => Assert.True(c.FromCache));
        Assert.Equal(first.Tactics.Select(c => (c.Layer, c.Batch, c.Variant)), second.Tactics.Select(c => (c.Layer, c.Batch, c.Variant)));
        Assert.All(first.Tactics, c => Assert.Contains(TimingCache.DeviceKey(TestDevices.Cpu).Split(" | ")[0], File.ReadAllText(path), StringComparison.Ordinal));
    }

    [Fact]
    public void A_missing_cache_file_is_empty_and_a_bad_one_is_an_error_naming_it()
    {
        using var dir = new TempDirectory();
        Assert.Equal(0, TimingCache.Load(Path.Combine(dir.Path, "none.json")).Count);
        foreach (var (name, text) in new[] { ("junk.json", "{ not json"), ("other.json", "{\"schema\": 99, \"entries\": []}"), ("hole.json", "{\"schema\": 1, \"entries\": [{\"device\": \"d\", \"problem\": \"\", \"variant\": \"v\", \"ms\": 1}]}") })
        {
            var path = Path.Combine(dir.Path, name);
            AtomicFile.WriteAllText(path, text);
            var ex = Assert.Throws<InvalidDataException>(() => TimingCache.Load(path));
            Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_tactic_this_device_cannot_run_falls_back_to_the_heuristic_choice()
    {
        var (net, inputs) = Network();
        using var heuristic = Build(net, TacticTiming.Off);
        using var timed = Build(net, TacticTiming.On);
        using var stream = new MemoryStream();
        timed.Serialize(stream);
        stream.Position = 0;
        using var loaded = Engine.Deserialize(stream, TestDevices.Cpu);

        // A tensor-core tile (CUDA only) and a name no build knows, as an engine file from another machine may carry.
        foreach (var node in loaded.Plan.Nodes.Where(n => n.Tactics.Count > 0))
        {
            node.Tactics[0] = (node.Tactics[0].Batch, "conv_s8_nhwc_mma_implicit_gemm_128x128x128_s3");
            node.Tactics[^1] = (node.Tactics[^1].Batch, "no_such_variant");
        }

        TestNetworks.SameBits(TestNetworks.Run(heuristic, inputs, 3), TestNetworks.Run(loaded, inputs, 3), "unrunnable tactics");
    }

    [Fact]
    public void Auto_times_on_cuda_only_unless_the_environment_says_otherwise()
    {
        Assert.False(EngineBuilder.TimesTactics(TacticTiming.Auto, TestDevices.Cpu));
        Assert.True(EngineBuilder.TimesTactics(TacticTiming.On, TestDevices.Cpu));
        Assert.False(EngineBuilder.TimesTactics(TacticTiming.Off, TestDevices.Cpu));
        Assert.Throws<ArgumentException>(() => new BuilderConfig { TacticRepeats = 0 }.Validate());
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Timed_resnet18_on_gpu_equals_the_reference_pipeline_and_the_heuristic_engine()
    {
        var device = TestDevices.Cuda;
        var net = SyntheticModels.ResNet18(64, 100);
        var inputs = TestNetworks.Inputs(net, 4);
        var table = TestNetworks.Thresholds(net, inputs, 4);
        BuilderConfig Config(TacticTiming timing) => new() { MaxBatchSize = 4, Int8 = true, CalibrationTable = table, TacticTiming = timing, TimingCache = new TimingCache() };
        using var heuristic = EngineBuilder.Build(net, Config(TacticTiming.Off), device);
        using var timed = EngineBuilder.Build(net, Config(TacticTiming.On), device);
        Assert.NotEmpty(timed.Tactics);
        Assert.Contains(timed.Tactics, c => c.Candidates.Keys.Any(k => k.Contains("mma", StringComparison.Ordinal)));
        var expected = PlanReference.Outputs(timed.Plan, inputs, 4);
        TestNetworks.SameBits(expected, TestNetworks.Run(timed, inputs, 4), "timed resnet18 on gpu vs reference pipeline");
        TestNetworks.SameBits(TestNetworks.Run(heuristic, inputs, 4), TestNetworks.Run(timed, inputs, 4), "timed vs heuristic on gpu");
        using var context = timed.CreateExecutionContext();
        var item = (int)timed.Inputs[0].Dims.Volume;
        Exact.EqualBits(PlanReference.Outputs(timed.Plan, new Dictionary<string, float[]> { [timed.Inputs[0].Name] = inputs[timed.Inputs[0].Name][..item] }, 1).Values.Single(), context.Execute(inputs[timed.Inputs[0].Name][..item], 1), "batch 1 on its own tactics");
    }
}
