using System.Reflection;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Layers.Runtime;
using NetArchTest.Rules;
using Xunit;

namespace ILGPUInt8.Tests.Arch;

/// <summary>
/// The dependency directions the code must keep (issue 16), checked on the built assemblies' IL with NetArchTest. Every
/// type of the Layers assembly lives in the namespace of its folder (<c>ILGPUInt8.Layers.Network</c>, <c>.Operators</c>,
/// <c>.Plans</c>, <c>.Builder</c>, <c>.Runtime</c>, <c>.Onnx</c>, <c>.Models</c>, <c>.Data</c>, <c>.Reference</c>), so the
/// rules below cover all of them: the runtime (engine, contexts, engine files) and the operators (layers, CUDA and CPU
/// steps) never use the builder; the plan (<c>ILGPUInt8.Layers.Plans</c>) is below both builder and runtime; the
/// network never uses builder or runtime; Int8Kernels never uses the Layers; production code never calls the test
/// oracles (the <c>*.Reference</c> namespaces: Int8Kernels/Reference, Calibration/Reference, Layers/Reference,
/// Layers/Onnx/Reference and the per-operator evaluators in them).
/// </summary>
public sealed class LayeringTests
{
    private const string Builder = "ILGPUInt8.Layers.Builder";
    private const string Runtime = "ILGPUInt8.Layers.Runtime";

    private static readonly string[] Oracles = ["ILGPUInt8.Kernels.Reference", "ILGPUInt8.Calibration.Reference", "ILGPUInt8.Layers.Reference", "ILGPUInt8.Layers.Onnx.Reference"];

    // Everything the CLI, the trainer and the cluster ship, with the libraries below them, and the fixture writer: all
    // but the tests (the benchmarks, which the tests do not reference, use none either: Perf has no such using).
    private static readonly string[] Production = ["ILGPUInt8.Kernels", "ILGPUInt8.Calibration", "ILGPUInt8.Layers", "ILGPUInt8.Training", "ILGPUInt8.Cluster", "ilgpu-int8", "ilgpu-int8-writer"];

    private static Assembly LayersAssembly => typeof(Engine).Assembly;

    [Fact]
    public void Every_layers_type_lives_in_the_namespace_of_its_folder()
    {
        // A type left in the bare ILGPUInt8.Layers namespace would escape every rule below.
        var bare = LayersAssembly.GetTypes().Where(t => t.Namespace == "ILGPUInt8.Layers" && !IsCompilerGenerated(t)).Select(t => t.Name).ToList();
        Assert.True(bare.Count == 0, "types in the bare ILGPUInt8.Layers namespace: " + string.Join(", ", bare));
        var known = new[] { "Network", "Operators", "Plans", "Builder", "Runtime", "Onnx", "Models", "Data", "Reference" }
            .Select(n => "ILGPUInt8.Layers." + n).ToArray();
        var stray = LayersAssembly.GetTypes().Where(t => !IsCompilerGenerated(t) && t.Namespace is { } ns && ns.StartsWith("ILGPUInt8.Layers", StringComparison.Ordinal)
            && !known.Any(k => ns == k || ns.StartsWith(k + ".", StringComparison.Ordinal))).Select(t => t.FullName).ToList();
        Assert.True(stray.Count == 0, "types outside the folder namespaces: " + string.Join(", ", stray));
    }

    [Theory]
    [InlineData(Runtime)]
    [InlineData("ILGPUInt8.Layers.Operators")]
    [InlineData("ILGPUInt8.Layers.Network")]
    [InlineData("ILGPUInt8.Layers.Plans")]
    public void Runtime_operators_network_and_plan_do_not_depend_on_the_builder(string ns)
    {
        var selection = Types.InAssembly(LayersAssembly).That().ResideInNamespace(ns);
        Assert.True(selection.GetTypes().Any(), $"{ns} should hold types");
        var result = selection.ShouldNot().HaveDependencyOn(Builder).GetResult();
        Assert.True(result.IsSuccessful, Failing(result));
    }

    [Theory]
    [InlineData("ILGPUInt8.Layers.Network")]
    [InlineData("ILGPUInt8.Layers.Plans")]
    public void Network_and_plan_do_not_depend_on_the_runtime(string ns)
    {
        var result = Types.InAssembly(LayersAssembly).That().ResideInNamespace(ns).ShouldNot().HaveDependencyOn(Runtime).GetResult();
        Assert.True(result.IsSuccessful, Failing(result));
    }

    [Fact]
    public void The_rules_see_a_real_dependency()
    {
        // The negative controls, with the rules' own shape: the builder makes engines (Builder → Runtime), the engine
        // reads the plan (Runtime → Plans), the plan oracle runs Int8Kernels/Reference.
        Assert.False(Types.InAssembly(LayersAssembly).That().ResideInNamespace(Builder).ShouldNot().HaveDependencyOn(Runtime).GetResult().IsSuccessful);
        Assert.False(Types.InAssembly(LayersAssembly).That().ResideInNamespace(Runtime).ShouldNot().HaveDependencyOn("ILGPUInt8.Layers.Plans").GetResult().IsSuccessful);
        Assert.True(Types.InAssembly(LayersAssembly).That().HaveName("PlanReference").Should().HaveDependencyOn("ILGPUInt8.Kernels.Reference").GetResult().IsSuccessful);
    }

    [Fact]
    public void Int8Kernels_do_not_depend_on_the_layers()
    {
        var result = Types.InAssembly(typeof(Int8Device).Assembly).ShouldNot().HaveDependencyOn("ILGPUInt8.Layers").GetResult();
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

    private static bool IsCompilerGenerated(Type t) =>
        t.Name.StartsWith('<') || t.IsDefined(typeof(System.Runtime.CompilerServices.CompilerGeneratedAttribute), false);

    private static string Failing(NetArchTest.Rules.TestResult result) =>
        "forbidden dependency in: " + string.Join(", ", result.FailingTypeNames ?? []);
}
