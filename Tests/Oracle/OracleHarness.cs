using ILGPUInt8.Kernels.Cpu;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Runtime;
using ILGPUInt8.Tests.Networks;

namespace ILGPUInt8.Tests.Oracle;

/// <summary>
/// Runs a network through an INT8 engine and through the fake-quantized oracle on the same thresholds and measures the
/// distance. The thresholds come from the oracle's own FP32 run (max |x| per tensor) and are declared on the network;
/// the engine tells only which tensors it holds in int8 (<see cref="Engine.Int8Thresholds"/>' names), never a scale.
/// </summary>
internal static class OracleHarness
{
    /// <summary>The backends: "ilgpu-cpu" (ILGPU's CPU accelerator), "cpu" (the host SIMD backend), "cuda".</summary>
    public static (Int8Device Device, CpuIsa? HostIsa) Backend(string name) => name switch
    {
        "cuda" => (Infrastructure.TestDevices.Cuda, null),
        "cpu" => (Int8Device.Shared(DeviceKind.Cpu), CpuIsaSupport.Best()),
        _ => (Infrastructure.TestDevices.Cpu, null),
    };

    /// <summary>Declares the oracle's FP32 ranges on every tensor of <paramref name="net"/>; returns them by name.</summary>
    public static Dictionary<string, float> DeclareRanges(NetworkDefinition net, IReadOnlyDictionary<string, float[]> inputs, int n)
    {
        var ranges = FakeQuantOracle.Ranges(net, inputs, n);
        foreach (var t in net.Inputs.Concat(net.Layers.Select(l => l.Output)))
        {
            t.SetDynamicRange(-ranges[t.Name], ranges[t.Name]);
        }

        return ranges;
    }

    /// <summary>
    /// Builds the INT8 engine on <paramref name="backend"/> (after <paramref name="edit"/> changed its plan, if given),
    /// runs it and the oracle, and returns the distance of every output.
    /// </summary>
    public static List<OracleDistance> Measure(NetworkDefinition net, int n, string backend, Action<Plan>? edit = null, int seed = 100)
    {
        var inputs = TestNetworks.Inputs(net, n, seed);
        var ranges = DeclareRanges(net, inputs, n);
        var (device, isa) = Backend(backend);
        var config = new BuilderConfig { MaxBatchSize = n, Int8 = true };
        using var engine = EngineBuilder.BuildEdited(net, config, device, isa, edit ?? (_ => { }));
        var actual = TestNetworks.Run(engine, inputs, n);
        var quantized = engine.Int8Thresholds.Keys.Select(Strip).ToHashSet(StringComparer.Ordinal);
        var oracle = FakeQuantOracle.Int8(net, inputs, n, ranges, quantized);
        return OracleCheck.Measure(oracle, actual, ranges, net, n);
    }

    /// <summary>
    /// Step by step: every tensor the engine computes (captured after its step, dequantized) against the oracle's value
    /// of that tensor computed from the engine's own values of the tensors before it
    /// (<see cref="FakeQuantOracle.LayerByLayer"/>), in LSB of the tensor: each step's difference alone, so a wrong scale
    /// shows where it is even when the layers after it hide it.
    /// </summary>
    public static List<OracleDistance> MeasureSteps(NetworkDefinition net, int n, string backend, Action<Plan>? edit = null, int seed = 100) =>
        MeasureSteps(net, n, backend, edit, seed, out _);

    /// <summary>As above; <paramref name="values"/> gets what the engine computed, by tensor name.</summary>
    public static List<OracleDistance> MeasureSteps(NetworkDefinition net, int n, string backend, Action<Plan>? edit, int seed, out Dictionary<string, float[]> values)
    {
        var inputs = TestNetworks.Inputs(net, n, seed);
        var ranges = DeclareRanges(net, inputs, n);
        var (device, isa) = Backend(backend);
        using var engine = EngineBuilder.BuildEdited(net, new BuilderConfig { MaxBatchSize = n, Int8 = true }, device, isa, edit ?? (_ => { }));
        using var context = engine.CreateExecutionContext();
        var captured = context.RunAndCapture(inputs, n)
            .Where(t => !t.Name.EndsWith("_float", StringComparison.Ordinal) && !t.Name.EndsWith("_wrong_scale", StringComparison.Ordinal))
            .GroupBy(t => Strip(t.Name), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Last().Values, StringComparer.Ordinal);
        var quantized = engine.Int8Thresholds.Keys.Select(Strip).ToHashSet(StringComparer.Ordinal);
        var oracle = FakeQuantOracle.LayerByLayer(net, inputs, n, ranges, quantized, captured);
        values = captured;
        return [.. captured.Where(c => oracle.ContainsKey(c.Key))
            .Select(c => OracleCheck.Distance(c.Key, oracle[c.Key], c.Value, FakeQuantOracle.ScaleOf(ranges[c.Key]), n))];
    }

    private static string Strip(string name) => name.EndsWith("_int8", StringComparison.Ordinal) ? name[..^5] : name;

    /// <summary>Indices (in the plan's step order) of the INT8 steps of <paramref name="type"/> that <paramref name="net"/> builds to.</summary>
    public static List<int> Int8Steps(NetworkDefinition net, int n, LayerType type)
    {
        var inputs = TestNetworks.Inputs(net, n);
        DeclareRanges(net, inputs, n);
        var (device, isa) = Backend("cpu");
        using var engine = EngineBuilder.BuildEdited(net, new BuilderConfig { MaxBatchSize = n, Int8 = true }, device, isa, _ => { });
        return [.. engine.Plan.Nodes.Select((node, i) => (node, i)).Where(p => p.node.Int8 && p.node.Layer.Type == type).Select(p => p.i)];
    }

    /// <summary>
    /// Corrupts one scale of step <paramref name="step"/> (an index into the plan's steps) by <paramref name="factor"/>,
    /// as a step or pass that took a multiplier, table or threshold from the wrong tensor would:
    /// <list type="bullet">
    /// <item><see cref="ScaleFault.ReadInput"/>: the step reads its first (int8) input through a view whose threshold is wrong;</item>
    /// <item><see cref="ScaleFault.WriteOutput"/>: the step writes its int8 output at a wrong scale, its readers read the right one;</item>
    /// <item><see cref="ScaleFault.Retag"/>: the step's int8 output tensor carries a wrong threshold, for the step and its readers.</item>
    /// </list>
    /// </summary>
    public static Action<Plan> CorruptOneScale(int step, ScaleFault fault, float factor) => plan =>
    {
        var node = plan.Nodes[step];
        var source = fault == ScaleFault.ReadInput ? plan.Tensors[node.Inputs[0]] : plan.Tensors[node.Output];
        if (source.Type != DataType.Int8 || source.Threshold is not { } threshold)
        {
            return;
        }

        if (fault == ScaleFault.Retag)
        {
            source.Threshold = threshold * factor;
            return;
        }

        var wrong = plan.Add(source.Name + "_wrong_scale", source.Dims);
        wrong.Type = DataType.Int8;
        wrong.Threshold = threshold * factor;
        wrong.AliasOf = source.Id;
        wrong.Offset = plan.Root(source).Offset;
        if (fault == ScaleFault.ReadInput)
        {
            node.Inputs[0] = wrong.Id;
        }
        else
        {
            node.Output = wrong.Id;
        }
    };
}

/// <summary>How <see cref="OracleHarness.CorruptOneScale"/> makes a scale wrong.</summary>
public enum ScaleFault
{
    /// <summary>The step reads its input at a wrong scale.</summary>
    ReadInput,

    /// <summary>The step writes its output at a wrong scale.</summary>
    WriteOutput,

    /// <summary>The output tensor's threshold is wrong for the step and its readers.</summary>
    Retag,
}
