using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Kernels.Tensors;

namespace ILGPUInt8.Kernels.Convolution;

/// <summary>
/// Every convolution variant by name, most preferred first; <c>ILGPUINT8_CONV</c> forces one by name.
/// </summary>
public static class ConvVariants
{
    /// <summary>Environment variable that forces a variant by name.</summary>
    public const string ForceEnvironmentVariable = "ILGPUINT8_CONV";

    private static readonly List<IConvVariant> Registered = [];

    /// <summary>
    /// Registers the built-in variants, most preferred first: the mma.sync tensor-core implicit GEMM (CUDA sm_80+, NHWC,
    /// groups = 1, C a multiple of 16) with its tile chosen per problem, the dp4a implicit GEMM with the planner's tile and
    /// split-K, the same with split-K forced, each dp4a tile on its own, each mma.sync tile on its own, the Hopper wgmma implicit GEMM (automatic and each tile; not preferred yet), and the direct
    /// fallback (any C, depthwise).
    /// </summary>
    static ConvVariants()
    {
        // The wgmma convolution (sm_90a) is not preferred yet: measured on the H200 it runs below the mma.sync one on
        // four of the five ResNet-50 layers (Perf/NOTES.md, issue 13). It stays available by name.
        Register(new ConvMmaAuto());
        Register(new ConvDp4aImplicitGemm());
        Register(new ConvDp4aImplicitGemm(splitK: true));
        foreach (var tile in Dp4aTile.All)
        {
            Register(new ConvDp4aImplicitGemm(tile));
        }

        Register(new ConvMma128x128());
        Register(new ConvMma128x64());
        Register(new ConvMma64x64());
        Register(new ConvMma128x128S3());
        Register(new ConvMma128x64S3());
        Register(new ConvWgmma());
        Register(new ConvWgmma(64));
        Register(new ConvWgmma(64, stages: 4));
        Register(new ConvWgmma(128));
        Register(new ConvWgmma(128, stages: 3));
        Register(new ConvWgmma(256));
        Register(new ConvDirect());
    }

    /// <summary>All variants, most preferred first.</summary>
    public static IReadOnlyList<IConvVariant> All
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
    public static void Register(IConvVariant variant, bool preferred = false)
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
    public static IConvVariant Get(string name) =>
        All.FirstOrDefault(v => v.Name == name)
        ?? throw new ArgumentException($"No convolution variant named '{name}'. Known: {string.Join(", ", All.Select(v => v.Name))}.", nameof(name));

    /// <summary>The forced variant, else the first that can run the problem; the reasons of all otherwise.</summary>
    public static IConvVariant Select(Int8Device device, ConvProblem problem, TensorFormat format, string? name = null) =>
        SelectFor(device, problem, format, name, inputAligned16: true);

    /// <summary>
    /// As <see cref="Select(Int8Device, ConvProblem, TensorFormat, string?)"/>; an input that does not start on a
    /// 16-byte boundary skips the tensor-core variants (their cp.async copies need it) unless one is forced by name.
    /// </summary>
    internal static IConvVariant SelectFor(Int8Device device, ConvProblem problem, TensorFormat format, string? name, bool inputAligned16)
    {
        name ??= Environment.GetEnvironmentVariable(ForceEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(name))
        {
            var forced = Get(name.Trim());
            var why = forced.CanImplement(device, problem, format);
            return why is null ? forced : throw new NotSupportedException($"{forced.Name} cannot run {problem} ({format}): {why}");
        }

        var reasons = new List<string>();
        foreach (var v in All)
        {
            var why = !inputAligned16 && v is ConvMma or ConvMmaAuto or ConvWgmma
                ? "x does not start on a 16-byte boundary (16-byte cp.async copies)"
                : v.CanImplement(device, problem, format);
            if (why is null)
            {
                return v;
            }

            reasons.Add($"{v.Name}: {why}");
        }

        throw new NotSupportedException($"No convolution variant can run {problem} ({format}). {string.Join("; ", reasons)}");
    }
}
