using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Gemm;

/// <summary>
/// Every GEMM variant by name, in order of preference (a <see cref="VariantRegistry{T}"/>). <see cref="Select"/>
/// takes the first that can run a launch; the environment variable <c>ILGPUINT8_GEMM</c> forces one by name (an
/// error when it cannot run).
/// </summary>
public static class GemmVariants
{
    /// <summary>Environment variable that forces a variant by name.</summary>
    public const string ForceEnvironmentVariable = "ILGPUINT8_GEMM";

    /// <summary>
    /// The registry, built-in variants most preferred first: the Hopper wgmma GEMMs (sm_90a), the tensor-core (mma.sync) GEMMs, the dp4a GEMM with the
    /// planner's tile and split-K, the same with split-K forced, each dp4a tile on its own, and the untiled fallback.
    /// Other families register themselves with <see cref="Register"/>, <c>preferred: true</c> to go first.
    /// </summary>
    public static VariantRegistry<IGemmVariant> Registry { get; } = CreateRegistry();

    /// <summary>All registered variants, most preferred first.</summary>
    public static IReadOnlyList<IGemmVariant> All => Registry.All;

    /// <summary>Adds a variant (a later call with the same name replaces it); <paramref name="preferred"/> puts it first.</summary>
    public static void Register(IGemmVariant variant, bool preferred = false) => Registry.Register(variant, preferred);

    /// <summary>The variant with this name, or an exception listing the names.</summary>
    public static IGemmVariant Get(string name) => Registry.Get(name);

    /// <summary>
    /// The variant to run a problem with: the named one (<paramref name="name"/>, else <c>ILGPUINT8_GEMM</c>), else the
    /// first that can implement it on these operands (<see langword="null"/>: whole rows, 16-byte aligned).
    /// </summary>
    public static IGemmVariant Select(Int8Device device, GemmProblem problem, GemmOperands? operands = null, string? name = null) =>
        Registry.Select(name, problem.ToString(), v => v.CanImplement(device, problem, operands), v => v.Declines(device, problem));

    private static VariantRegistry<IGemmVariant> CreateRegistry()
    {
        // Hopper's wgmma first on compute capability 9.x (they decline every other device), then mma.sync tensor
        // cores where they can run (CUDA, 16-byte aligned K), then dp4a.
        var registry = new VariantRegistry<IGemmVariant>("GEMM", ForceEnvironmentVariable);
        // The copy engine feeds them first: on an H100 (2026-12-07, Perf/NOTES.md) the TMA tiles ran 1.18-1.30× the
        // cp.async ones on every shape of issue 13 (8192³ 1467 vs 1153 TOPS). The cp.async tiles stay by name.
        registry.Register(new GemmWgmmaTn(256, tma: true));
        registry.Register(new GemmWgmmaTn(128, tma: true));
        registry.Register(new GemmWgmmaTn(256));
        registry.Register(new GemmWgmmaTn(128));
        registry.Register(new GemmMmaTn128x256());
        registry.Register(new GemmMmaTn128x128());
        registry.Register(new GemmDp4aTiled());
        registry.Register(new GemmDp4aTiled(splitK: true));
        foreach (var tile in Dp4aTile.All)
        {
            registry.Register(new GemmDp4aTiled(tile));
        }

        registry.Register(new GemmDp4aSimple());
        return registry;
    }
}
