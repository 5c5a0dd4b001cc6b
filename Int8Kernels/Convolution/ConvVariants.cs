using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Kernels.Tensors;

namespace ILGPUInt8.Kernels.Convolution;

/// <summary>
/// Every convolution variant by name, most preferred first (a <see cref="VariantRegistry{T}"/>); <c>ILGPUINT8_CONV</c>
/// forces one by name.
/// </summary>
public static class ConvVariants
{
    /// <summary>Environment variable that forces a variant by name.</summary>
    public const string ForceEnvironmentVariable = "ILGPUINT8_CONV";

    /// <summary>
    /// The registry, built-in variants most preferred first: the mma.sync tensor-core implicit GEMM (CUDA sm_80+, NHWC,
    /// groups = 1, C a multiple of 16) with its tile chosen per problem, the dp4a implicit GEMM with the planner's tile and
    /// split-K, the same with split-K forced, each dp4a tile on its own, each mma.sync tile on its own and with fixed K splits, the persistent mma.sync convolution for narrow short-K
    /// layers, the Hopper wgmma implicit GEMM (automatic and each tile; not preferred yet), its TMA-fed and persistent
    /// forms, the halo-tile wgmma convolution (stride 1), the
    /// depthwise kernel (groups = C = K, NHWC) and the direct fallback (any C, channel multipliers, NCHW_VECT_C).
    /// </summary>
    public static VariantRegistry<IConvVariant> Registry { get; } = CreateRegistry();

    /// <summary>All variants, most preferred first.</summary>
    public static IReadOnlyList<IConvVariant> All => Registry.All;

    /// <summary>Adds a variant (a later call with the same name replaces it); <paramref name="preferred"/> puts it first.</summary>
    public static void Register(IConvVariant variant, bool preferred = false) => Registry.Register(variant, preferred);

    /// <summary>The variant with this name, or an exception listing the names.</summary>
    public static IConvVariant Get(string name) => Registry.Get(name);

    /// <summary>
    /// The named variant (<paramref name="name"/>, else <c>ILGPUINT8_CONV</c>), else the first that can run the problem
    /// with its input starting <paramref name="inputOffset"/> bytes into its allocation; the reasons of all otherwise.
    /// </summary>
    public static IConvVariant Select(Int8Device device, ConvProblem problem, TensorFormat format, string? name = null, long inputOffset = 0) =>
        Registry.Select(name, $"{problem} ({format})", v => v.CanImplement(device, problem, format, inputOffset));

    private static VariantRegistry<IConvVariant> CreateRegistry()
    {
        var registry = new VariantRegistry<IConvVariant>("convolution", ForceEnvironmentVariable);
        registry.Register(new ConvMmaAuto());
        registry.Register(new ConvDp4aImplicitGemm());
        registry.Register(new ConvDp4aImplicitGemm(splitK: true));
        foreach (var tile in Dp4aTile.All)
        {
            registry.Register(new ConvDp4aImplicitGemm(tile));
        }

        registry.Register(new ConvMma128x128());
        registry.Register(new ConvMma128x64());
        registry.Register(new ConvMma64x64());
        registry.Register(new ConvMma128x128S3());
        registry.Register(new ConvMma128x64S3());

        // Fixed K splits of the two tiles ConvMmaAuto uses, for build-time tactic timing (never chosen by the rule).
        foreach (var splits in new[] { 2, 4, 8 })
        {
            registry.Register(new ConvMmaSplitK(new ConvMma128x128S3(), splits));
            registry.Register(new ConvMmaSplitK(new ConvMma128x64S3(), splits));
        }

        // The persistent mma.sync convolution (K ≤ 128 output channels, resident weights, a ring across tiles): never the
        // rule's choice; build-time tactic timing picks it where it wins (the stem fold, 64-channel layers).
        registry.Register(new ConvMmaPersistent(stages: 4));
        registry.Register(new ConvMmaPersistent(stages: 3));

        // The wgmma convolution (sm_90a) is not preferred yet: measured on the H200 it runs below the mma.sync one on
        // four of the five ResNet-50 layers (Perf/NOTES.md, issue 13). It stays available by name.
        registry.Register(new ConvWgmma());
        registry.Register(new ConvWgmma(64));
        registry.Register(new ConvWgmma(64, stages: 4));
        registry.Register(new ConvWgmma(128));
        registry.Register(new ConvWgmma(128, stages: 3));
        registry.Register(new ConvWgmma(256));

        // The TMA-fed wgmma convolution (im2col boxes): on an H100 1.07-1.44× cuDNN FP16 on the ResNet-50 layers with
        // C ≥ 128, below the persistent and mma.sync kernels on the 64-channel ones (Perf/NOTES.md, 2026-12-07). Never
        // chosen by the rule; build-time tactic timing picks it where it wins. Its tensor maps are made on the first
        // launch on a buffer, which an execution context's first (plain) run of a batch size does before any capture.
        registry.Register(new ConvWgmmaTma());
        registry.Register(new ConvWgmmaTma(64));
        registry.Register(new ConvWgmmaTma(128));
        registry.Register(new ConvWgmmaTma(256));

        // Persistent wgmma convolutions for short reductions (the stem, 3×3 over 64 channels): resident weights, a ring
        // across tiles. Never chosen by the rule; build-time tactic timing picks them where they win.
        registry.Register(new ConvWgmmaPersistent(64, ring: 6));
        registry.Register(new ConvWgmmaPersistent(64, ring: 3));
        registry.Register(new ConvWgmmaPersistent(128, ring: 4));

        // The halo-tile wgmma convolution (stride 1: every tap a shifted descriptor over one shared input tile, resident
        // weights). On an H100 (session 18) equal to the mma.sync implicit GEMM on r18 3×3 64@56 b256 (0.251 vs 0.254 ms),
        // 10-13 % faster on the folded stem, half its speed on 128@28. Never the rule's choice; build-time tactic timing
        // picks it where it wins.
        registry.Register(new ConvWgmmaHalo());
        registry.Register(new ConvDepthwise());
        registry.Register(new ConvDirect());
        return registry;
    }
}
