using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Runtime;
using ILGPUInt8.Tests.Infrastructure;
using ILGPUInt8.Tests.Networks;
using Xunit;

namespace ILGPUInt8.Tests.Precision;

/// <summary>
/// <c>best</c> by build-time timing (<see cref="PrecisionTiming"/>): with tactic timing on, every step the rule runs INT8
/// is timed against its FP16 form and keeps the faster (a fixed table of times stands in for the clock here, so the
/// choice is known); the fastest whole engine is kept; without timing the rule stands.
/// </summary>
public sealed class BestTimingTests
{
    private static BuilderConfig Config(TacticTiming timing) =>
        new() { MaxBatchSize = 2, Mode = BuilderPrecision.Best, TacticTiming = timing, TacticRepeats = 1, TimingCache = new TimingCache() };

    private static (NetworkDefinition Net, Dictionary<string, float[]> Inputs) Ranged()
    {
        var net = TestNetworks.SmallCnn();
        var inputs = TestNetworks.Inputs(net, 2);
        TestNetworks.SetRanges(net, inputs, 2);
        return (net, inputs);
    }

    private static Engine BuildTimed(NetworkDefinition net, BuilderConfig config, Func<EngineLayerInfo, double> ms)
    {
        PrecisionTiming.Timer = (engine, batch) =>
        {
            Assert.Equal(2, batch);
            return engine.Layers.GroupBy(l => l.Name).ToDictionary(g => g.Key, g => g.Sum(l => l.Type == LayerType.Convert ? 0.0 : ms(l)));
        };
        try
        {
            return EngineBuilder.Build(net, config, TestDevices.Cpu);
        }
        finally
        {
            PrecisionTiming.Timer = null;
        }
    }

    [Fact]
    public void Each_step_keeps_its_faster_precision()
    {
        // conv2 (with its fused ReLU) is faster in FP16, every other step in INT8.
        var (net, inputs) = Ranged();
        using var engine = BuildTimed(net, Config(TacticTiming.On), l => (l.Name == "conv2") == (l.Precision == "FP16") ? 1.0 : 5.0);
        var precisions = engine.Layers.Where(l => l.Type != LayerType.Convert).ToDictionary(l => l.Name, l => l.Precision);
        Assert.Equal("FP16", precisions["conv2"]);
        Assert.Equal("INT8", precisions["conv1"]);
        Assert.Equal("INT8", precisions["fc"]);
        var timed = engine.Tactics.Where(t => t.Variant is "int8" or "fp16").ToList();
        var conv2 = timed.Single(t => t.Layer == "conv2");
        Assert.Equal("fp16", conv2.Variant);
        Assert.Equal(5.0, conv2.Candidates["int8"]);
        Assert.Equal(1.0, conv2.Candidates["fp16"]);
        Assert.Equal("int8", timed.Single(t => t.Layer == "conv1").Variant);
        Assert.Equal("per-step", engine.Tactics.Single(t => t.Layer == PrecisionTiming.EngineChoice).Variant);
        TestNetworks.Near(PlanReference.Outputs(engine.Plan, inputs, 2), TestNetworks.Run(engine, inputs, 2), "timed best vs reference", rtol: 2e-3f, atol: 1e-4f);
    }

    [Fact]
    public void The_fastest_whole_engine_is_kept()
    {
        // FP16 faster everywhere: the all-FP16 engine wins and no per-step engine is built.
        var (net, _) = Ranged();
        using var engine = BuildTimed(net, Config(TacticTiming.On), l => l.Precision == "FP16" ? 1.0 : 2.0);
        Assert.All(engine.Layers.Where(l => l.Type != LayerType.Convert), l => Assert.Equal("FP16", l.Precision));
        var choice = engine.Tactics.Single(t => t.Layer == PrecisionTiming.EngineChoice);
        Assert.Equal("all-fp16", choice.Variant);
        Assert.Equal(["all-fp16", "rule"], choice.Candidates.Keys.Order());
    }

    [Fact]
    public void Without_timing_the_rule_stands()
    {
        var (net, _) = Ranged();
        using var off = BuildTimed(net, Config(TacticTiming.Off), _ => throw new InvalidOperationException("timed"));
        using var cpu = EngineBuilder.BuildCpu(net, Config(TacticTiming.On));
        foreach (var engine in new[] { off, cpu })
        {
            Assert.Equal("INT8", engine.Layers.Single(l => l.Name == "conv2").Precision);
            Assert.DoesNotContain(engine.Tactics, t => t.Layer == PrecisionTiming.EngineChoice);
        }
    }
}
