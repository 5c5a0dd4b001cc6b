using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Gemm;

/// <summary>
/// Every GEMM variant by name, in order of preference. <see cref="Select"/> takes the first that can run a
/// problem; the environment variable <c>ILGPUINT8_GEMM</c> forces one by name (an error when it cannot run).
/// </summary>
public static class GemmVariants
{
    /// <summary>Environment variable that forces a variant by name.</summary>
    public const string ForceEnvironmentVariable = "ILGPUINT8_GEMM";

    private static readonly List<IGemmVariant> Registered = [];

    /// <summary>
    /// Registers the built-in variants, most preferred first: the Hopper wgmma GEMMs (sm_90a), the tensor-core (mma.sync) GEMMs, the dp4a GEMM with the planner's tile and split-K, the
    /// same with split-K forced, each dp4a tile on its own, and the untiled fallback. Other families (tensor cores)
    /// register themselves with <see cref="Register"/>, <c>preferred: true</c> to go first.
    /// </summary>
    static GemmVariants()
    {
        // Hopper's wgmma first on compute capability 9.x (they decline every other device), then mma.sync tensor
        // cores where they can run (CUDA, 16-byte aligned K), then dp4a.
        Register(new GemmWgmmaTn(256));
        Register(new GemmWgmmaTn(128));
        Register(new GemmMmaTn128x256());
        Register(new GemmMmaTn128x128());
        Register(new GemmDp4aTiled());
        Register(new GemmDp4aTiled(splitK: true));
        foreach (var tile in Dp4aTile.All)
        {
            Register(new GemmDp4aTiled(tile));
        }

        Register(new GemmDp4aSimple());
    }

    /// <summary>All registered variants, most preferred first.</summary>
    public static IReadOnlyList<IGemmVariant> All
    {
        get
        {
            lock (Registered)
            {
                return [.. Registered];
            }
        }
    }

    /// <summary>Adds a variant (a later call with the same name replaces it); <paramref name="preferred"/> puts it first.</summary>
    public static void Register(IGemmVariant variant, bool preferred = false)
    {
        ArgumentNullException.ThrowIfNull(variant);
        lock (Registered)
        {
            Registered.RemoveAll(v => v.Name == variant.Name);
            if (preferred)
            {
                Registered.Insert(0, variant);
            }
            else
            {
                Registered.Add(variant);
            }
        }
    }

    /// <summary>The variant with this name, or an exception listing the names.</summary>
    public static IGemmVariant Get(string name) =>
        All.FirstOrDefault(v => v.Name == name)
        ?? throw new ArgumentException($"No GEMM variant named '{name}'. Known: {string.Join(", ", All.Select(v => v.Name))}.", nameof(name));

    /// <summary>The variant to run a problem with: the forced one, else the first that can implement it.</summary>
    public static IGemmVariant Select(Int8Device device, GemmProblem problem)
    {
        var forced = Environment.GetEnvironmentVariable(ForceEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(forced))
        {
            var variant = Get(forced.Trim());
            var reason = variant.CanImplement(device, problem);
            return reason is null ? variant : throw new NotSupportedException($"{ForceEnvironmentVariable}={forced} cannot run {problem}: {reason}");
        }

        var reasons = new List<string>();
        foreach (var variant in All)
        {
            var reason = variant.CanImplement(device, problem) ?? variant.Declines(device, problem);
            if (reason is null)
            {
                return variant;
            }

            reasons.Add($"{variant.Name}: {reason}");
        }

        throw new NotSupportedException($"No GEMM variant can run {problem} on {device.Kind}. {string.Join("; ", reasons)}");
    }
}
