using System.Reflection;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Layers;
using NetArchTest.Rules;
using Xunit;

namespace ILGPUInt8.Tests.Arch;

/// <summary>
/// The dependency directions the code must keep (issue 16), checked on the built assemblies' IL with NetArchTest:
/// the runtime (engine, contexts, steps, operators, engine files) never uses the builder; Int8Kernels never uses the
/// Layers; production code never calls the test oracles (the <c>*.Reference</c> namespaces: Int8Kernels/Reference,
/// Layers/Reference, Layers/Onnx/Reference and the per-operator evaluators in them). The plan
/// (<c>ILGPUInt8.Layers.Plans</c>) is below both builder and runtime.
/// </summary>
public sealed class LayeringTests
{
    private static readonly string[] Oracles = ["ILGPUInt8.Kernels.Reference", "ILGPUInt8.Layers.Reference", "ILGPUInt8.Layers.Onnx.Reference"];

    // Everything the CLI, the trainer and the cluster ship, with the libraries below them.
    private static readonly string[] Production = ["ILGPUInt8.Kernels", "ILGPUInt8.Calibration", "ILGPUInt8.Layers", "ILGPUInt8.Training", "ILGPUInt8.Cluster", "ilgpu-int8"];

    private static Assembly LayersAssembly => typeof(Engine).Assembly;

    [Fact]
    public void Runtime_does_not_depend_on_the_builder()
    {
        var runtime = Types.InAssembly(LayersAssembly).That()
            .HaveNameMatching("^(Engine|ExecutionContext|EngineSerializer|EngineResources|TensorCapture|Step|HostStep|HostConvert|Operator|OperatorRegistry)$")
            .Or().Inherit(typeof(Step)).Or().Inherit(typeof(Operator));
        Assert.True(runtime.GetTypes().Count() > 40, "the runtime selection should hold the engine, the steps and the operators");
        var result = runtime.ShouldNot().HaveDependencyOnAny("ILGPUInt8.Layers.Builder", "ILGPUInt8.Layers.EngineBuilder")
            .GetResult();
        Assert.True(result.IsSuccessful, Failing(result));
    }

    [Fact]
    public void The_rules_see_a_real_dependency()
    {
        // The negative control: EngineBuilder calls the graph lowering of ILGPUInt8.Layers.Builder, Engine reads PlanMemory.
        Assert.True(Types.InAssembly(LayersAssembly).That().HaveName("EngineBuilder").Should().HaveDependencyOn("ILGPUInt8.Layers.Builder").GetResult().IsSuccessful);
        Assert.True(Types.InAssembly(LayersAssembly).That().HaveName("Engine").Should().HaveDependencyOn("ILGPUInt8.Layers.Plans").GetResult().IsSuccessful);
        Assert.True(Types.InAssembly(LayersAssembly).That().HaveName("PlanReference").Should().HaveDependencyOn("ILGPUInt8.Kernels.Reference").GetResult().IsSuccessful);
    }

    [Fact]
    public void Int8Kernels_do_not_depend_on_the_layers()
    {
        var result = Types.InAssembly(typeof(Int8Device).Assembly).ShouldNot().HaveDependencyOn("ILGPUInt8.Layers").GetResult();
        Assert.True(result.IsSuccessful, Failing(result));
    }

    [Fact]
    public void Plan_types_do_not_depend_on_builder_or_runtime()
    {
        var result = Types.InAssembly(LayersAssembly).That().ResideInNamespace("ILGPUInt8.Layers.Plans")
            .ShouldNot().HaveDependencyOnAny("ILGPUInt8.Layers.Builder", "ILGPUInt8.Layers.EngineBuilder", "ILGPUInt8.Layers.Engine", "ILGPUInt8.Layers.ExecutionContext", "ILGPUInt8.Layers.Step")
            .GetResult();
        Assert.True(result.IsSuccessful, Failing(result));
    }

    [Fact]
    public void Production_code_never_calls_the_test_oracles()
    {
        foreach (var name in Production)
        {
            var assembly = Assembly.Load(name);
            var result = Types.InAssembly(assembly).That().DoNotResideInNamespaceMatching(@"(^|\.)Reference$")
                .ShouldNot().HaveDependencyOnAny(Oracles)
                .GetResult();
            Assert.True(result.IsSuccessful, $"{name}: {Failing(result)}");
        }
    }

    private static string Failing(NetArchTest.Rules.TestResult result) =>
        "forbidden dependency in: " + string.Join(", ", result.FailingTypeNames ?? []);
}
