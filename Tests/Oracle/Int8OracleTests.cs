using ILGPUInt8.Layers.Models;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Tests.Networks;
using Xunit;

namespace ILGPUInt8.Tests.Oracle;

/// <summary>
/// The INT8 engine against the independent fake-quantized oracle (<see cref="FakeQuantOracle"/>) on the CPU backends,
/// every layer type included, and the proof that the check can fail: one corrupted scale per layer type.
/// </summary>
public sealed class Int8OracleTests(ITestOutputHelper output)
{
    /// <summary>
    /// The INT8 step types of the all-layer-types network, each corrupted in turn. A reshape is a view (nothing runs):
    /// its only scale is the output tensor's, which must equal its input's, so its fault is a retag.
    /// </summary>
    public static readonly TheoryData<LayerType> Int8Types = new(
        LayerType.Convert, LayerType.Convolution, LayerType.Deconvolution, LayerType.FullyConnected, LayerType.Pooling,
        LayerType.ElementWise, LayerType.Activation, LayerType.Concatenation, LayerType.Padding, LayerType.Reshape, LayerType.SoftMax);

    // Faults a step of the type can have: one that rescales reads its input's and writes its output's scale (a retag of
    // its output would be a different but consistent quantization, not a fault); a view has only the retag.
    private static ScaleFault[] Faults(LayerType type) =>
        type == LayerType.Reshape ? [ScaleFault.Retag] : [ScaleFault.ReadInput, ScaleFault.WriteOutput];

    [Theory]
    [InlineData("ilgpu-cpu")]
    [InlineData("cpu")]
    public void All_layer_types_network_matches_the_oracle(string backend) =>
        Check(output, LayerCoverageTests.Wide(), 2, backend, "wide");

    [Theory]
    [InlineData("ilgpu-cpu")]
    [InlineData("cpu")]
    public void Small_cnn_matches_the_oracle(string backend) =>
        Check(output, TestNetworks.SmallCnn(), 4, backend, "small CNN");

    [Fact]
    public void Synthetic_resnet18_on_the_cpu_backend_matches_the_oracle() =>
        Check(output, SyntheticModels.ResNet18(64, 100), 2, "cpu", "resnet18 64²");

    /// <summary>
    /// For every INT8 step of <paramref name="type"/> in the all-layer-types network and every way its scale can be wrong
    /// (<see cref="ScaleFault"/>, 1.5× off): either the oracle check fails, or the engine computed exactly what it did
    /// without the fault (the wrong scale is one that step never uses, e.g. a max pooling's input, a ReLU that does not
    /// rescale). At least one fault
    /// per type must change the results, and each of those must fail the check.
    /// </summary>
    [Theory]
    [MemberData(nameof(Int8Types))]
    public void One_corrupted_scale_fails_the_oracle(LayerType type)
    {
        var steps = OracleHarness.Int8Steps(LayerCoverageTests.Wide(), 2, type);
        Assert.NotEmpty(steps);
        OracleHarness.MeasureSteps(LayerCoverageTests.Wide(), 2, "cpu", null, 100, out var clean);
        var caught = 0;
        foreach (var step in steps)
        {
            foreach (var fault in Faults(type))
            {
                var corrupt = OracleHarness.CorruptOneScale(step, fault, 1.5f);
                var stepDistances = OracleHarness.MeasureSteps(LayerCoverageTests.Wide(), 2, "cpu", corrupt, 100, out var values);
                var outputs = OracleHarness.Measure(LayerCoverageTests.Wide(), 2, "cpu", corrupt);
                var failed = outputs.Exists(d => !OracleCheck.Default.Admit(d)) || stepDistances.Exists(d => !OracleCheck.Step.Admit(d));
                var unchanged = clean.All(c => !values.TryGetValue(c.Key, out var v) || c.Value.AsSpan().SequenceEqual(v));
                var worst = stepDistances.MaxBy(d => d.MaxLsb);
                output.WriteLine($"{type} step {step} {fault}: {(failed ? "caught" : unchanged ? "no effect (scale unused)" : "MISSED")}; worst step {worst}");
                Assert.True(failed || unchanged, $"{type} step {step}, {fault}: a wrong scale changed the results but passed the oracle check ({worst})");
                caught += failed ? 1 : 0;
            }
        }

        Assert.True(caught > 0, $"no wrong {type} scale changed the results");
    }

    /// <summary>The CPU twin of EngineGpuTests' ResNet-18 case (the backends are bit-exact): INT8 close to FP32.</summary>
    [Fact]
    public void Resnet18_int8_on_the_cpu_backend_is_close_to_fp32()
    {
        var net = SyntheticModels.ResNet18(64, 100);
        var inputs = TestNetworks.Inputs(net, 2);
        var calibrator = new MaxAbsCalibrator([(inputs, 2)]);
        using var fp32 = EngineBuilder.BuildCpu(net, new BuilderConfig { MaxBatchSize = 2 });
        using var int8 = EngineBuilder.BuildCpu(net, new BuilderConfig { MaxBatchSize = 2, Int8 = true, Calibrator = calibrator });
        EngineGpuTests.Int8CloseToFp32(TestNetworks.Run(fp32, inputs, 2), TestNetworks.Run(int8, inputs, 2), 2, "resnet18 int8 vs fp32 on the cpu backend");
    }

    /// <summary>Outputs within <see cref="OracleCheck.Default"/> and every step within <see cref="OracleCheck.Step"/>.</summary>
    internal static void Check(ITestOutputHelper output, NetworkDefinition net, int n, string backend, string what)
    {
        var outputs = OracleHarness.Measure(net, n, backend);
        var steps = OracleHarness.MeasureSteps(net, n, backend);
        foreach (var d in outputs)
        {
            output.WriteLine($"{what} on {backend}, output {d}");
        }

        foreach (var d in steps)
        {
            output.WriteLine($"{what} on {backend}, step {d}");
        }

        OracleCheck.Passes(outputs, OracleCheck.Default, $"{what} int8 on {backend} vs oracle, outputs");
        OracleCheck.Passes(steps, OracleCheck.Step, $"{what} int8 on {backend} vs oracle, step by step");
    }
}
