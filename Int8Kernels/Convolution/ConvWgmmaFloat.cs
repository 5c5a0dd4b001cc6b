using ILGPU;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Convolution;

/// <summary>
/// Hopper FP16 implicit-GEMM convolution (sm_90a): the int8 wgmma convolution's kernel (<see cref="ConvWgmma"/>: pixel
/// table, gathering loader, <see cref="WgmmaMainloop"/>) on the bytes of the half tensors (<see cref="ConvFloat.BytesProblem"/>:
/// C' = 2C one-byte channels, 128 bytes a stage = 64 halves) with the FP16 instruction
/// <c>wgmma.mma_async.sync.aligned.m64nNk16.f32.f16.f16</c> (<c>PtxWgmmaF16N*</c>, <c>Int8Kernels/gen/gen_wgmma_ptx.py</c>),
/// FP32 accumulators read back as floats. FP16 only (wgmma truncates TF32 operands; TF32 stays on <see cref="ConvMmaFloat"/>).
/// Tiles as <see cref="ConvWgmma"/>: 128×64, 128×128, 128×256, or 0 to choose per problem (128×64 with 4 stages when
/// K ≤ 64, else 128×128 with 3). With <c>tma</c> the same FP16 instruction runs in <see cref="ConvWgmmaTma"/>'s kernel
/// (the copy engine's im2col boxes of 64 halves, or 32 when C is not a multiple of 64; C a multiple of 32), the deepest
/// ring of the tile.
/// </summary>
public sealed class ConvWgmmaFloat : IFloatConvVariant
{
    private readonly bool _allowCpu;

    /// <summary>
    /// Creates the variant for 128×<paramref name="tileN"/> tiles (64, 128 or 256; 0: chosen per problem) with
    /// <paramref name="stages"/> (0: the deepest ring; 4 for N = 64 or 3 for N = 128: the shallow ones); CPU accelerator
    /// for tests only.
    /// </summary>
    public ConvWgmmaFloat(int tileN = 0, int stages = 0, bool allowCpuAccelerator = false, bool tma = false)
    {
        if (tma && stages != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(stages), stages, "the TMA-fed convolution runs the deepest ring of its tile (stages = 0).");
        }

        // The int8 variant validates the same tile and ring choices.
        var shape = new ConvWgmma(tileN, allowCpuAccelerator, stages);
        TileN = shape.TileN;
        Stages = shape.Stages;
        Tma = tma;
        _allowCpu = allowCpuAccelerator;
    }

    /// <summary>True when the copy engine feeds the stages (<see cref="ConvWgmmaTma"/>'s kernel).</summary>
    public bool Tma { get; }

    /// <inheritdoc />
    public FloatMmaInput Input => FloatMmaInput.Fp16;

    /// <summary>Output channels a block computes (0: chosen per problem).</summary>
    public int TileN { get; }

    /// <summary>Pipeline stages of 128 bytes (64 halves) of K.</summary>
    public int Stages { get; }

    /// <inheritdoc />
    public string Name => $"conv_f16f16f32_nhwc_wgmma{(Tma ? "_tma" : string.Empty)}_implicit_gemm" + (TileN == 0 ? string.Empty : $"_128x{TileN}x64_s{Stages}");

    /// <summary>
    /// Dynamic shared memory: the ring plus the pixel table (8 bytes a row), or the FP32 staging tile [128][TileN + 8],
    /// plus 1 KB of alignment.
    /// </summary>
    public int SharedBytes => Math.Max((Stages * WgmmaMainloop.StageBytes(TileN)) + (8 * WgmmaMainloop.TileM), WgmmaMainloop.TileM * (TileN + 8) * 4) + WgmmaDescriptor.AtomBytes;

    /// <summary>
    /// Tiles a TMA-fed tile width must give to be chosen: half a wave of a 132-multiprocessor H100/H200 (one block a
    /// multiprocessor). Measured on an H100 (session 17, `Perf fp16conv`): the widest tile that keeps this many was the
    /// fastest on every ResNet-18 b256 and ResNet-50 b32 3×3 layer (e.g. r18 256@14: 128×256 0.132 ms vs 128×128 0.199;
    /// r50 512@7: 128×64 0.056 vs 128×128 0.064).
    /// </summary>
    public const int HalfWaveTiles = 66;

    /// <summary>
    /// The fixed tile for a problem: itself when fixed; fed by the copy engine, the widest of 128×256, 128×128, 128×64
    /// not wider than K (rounded up to 64) that still makes <see cref="HalfWaveTiles"/> tiles, else 128×64; by cp.async
    /// 128×64 (4 stages) when K ≤ 64 and 128×128 (3) otherwise.
    /// </summary>
    public ConvWgmmaFloat Choose(ConvProblem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        if (TileN != 0)
        {
            return this;
        }

        if (Tma)
        {
            // tiles(N) = ⌈M / 128⌉ · ⌈K / N⌉, M = batch · P · Q output pixels.
            long rows = ((long)problem.N * problem.P * problem.Q + WgmmaMainloop.TileM - 1) / WgmmaMainloop.TileM;
            int tile = 64;
            foreach (var n in new[] { 256, 128 })
            {
                if (problem.K > n / 2 && rows * ((problem.K + n - 1) / n) >= HalfWaveTiles)
                {
                    tile = n;
                    break;
                }
            }

            return new ConvWgmmaFloat(tile, 0, _allowCpu, tma: true);
        }

        return new ConvWgmmaFloat(problem.K <= 64 ? 64 : 128, problem.K <= 64 ? 4 : 3, _allowCpu);
    }

    /// <inheritdoc />
    public string? CanImplement(Int8Device device, ConvProblem problem) =>
        GemmWgmmaTn.DeviceLimit(device, _allowCpu) ?? ConvFloat.Limit(device, problem, FloatMmaInput.Fp16, allowCpu: true)
        ?? (Tma ? ConvWgmmaTma.MapLimit(ConvFloat.BytesProblem(problem, FloatMmaInput.Fp16)) : null);

    /// <inheritdoc />
    public void Run<TEpilogue>(Int8Device device, ArrayView<sbyte> x, ArrayView<sbyte> weights, ConvProblem problem, TEpilogue epilogue)
        where TEpilogue : struct, IFloatGemmEpilogue
    {
        ConvFloat.CheckRun(this, device, problem);

        if (TileN == 0)
        {
            Choose(problem).Run(device, x, weights, problem, epilogue);
            return;
        }

        ConvFloat.CheckOperands(Name, x, weights, problem, FloatMmaInput.Fp16);
        var g = ConvGeometry.From(ConvFloat.BytesProblem(problem, FloatMmaInput.Fp16));
        int tileN = TileN, stages = Stages;
        if (Tma)
        {
            ConvWgmmaTma.Launch(
                device, $"conv.wgmmaf16.{Name}.{typeof(TEpilogue).FullName}", ptx => TmaKernelFor<FloatBitsEpilogue<TEpilogue>>(tileN, ptx),
                tileN, x, weights, g.GemmK, g, new FloatBitsEpilogue<TEpilogue>(epilogue));
            return;
        }

        ConvWgmma.Launch(
            device, $"conv.wgmmaf16.{Name}.{typeof(TEpilogue).FullName}", ptx => KernelFor<FloatBitsEpilogue<TEpilogue>>(tileN, stages, ptx),
            SharedBytes, tileN, x, weights, g, g.GemmK, new FloatBitsEpilogue<TEpilogue>(epilogue));
    }

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>The int8 convolution kernel with the FP16 wgmma ops of a tile width and ring: PTX or emulated.</summary>
    internal static Action<long, long, ArrayView<sbyte>, ArrayView<sbyte>, ArrayView<int>, ConvMma.Args, TEpilogue> KernelFor<TEpilogue>(int tileN, int stages, bool ptx)
        where TEpilogue : struct, IGemmEpilogue =>
        (tileN, stages, ptx) switch
        {
            (256, _, true) => ConvWgmma.Kernel<PtxWgmmaF16N256, TEpilogue>,
            (256, _, false) => ConvWgmma.Kernel<EmulatedWgmmaF16N256, TEpilogue>,
            (128, 3, true) => ConvWgmma.Kernel<PtxWgmmaF16N128S3, TEpilogue>,
            (128, 3, false) => ConvWgmma.Kernel<EmulatedWgmmaF16N128S3, TEpilogue>,
            (128, _, true) => ConvWgmma.Kernel<PtxWgmmaF16N128, TEpilogue>,
            (128, _, false) => ConvWgmma.Kernel<EmulatedWgmmaF16N128, TEpilogue>,
            (_, 4, true) => ConvWgmma.Kernel<PtxWgmmaF16N64S4, TEpilogue>,
            (_, 4, false) => ConvWgmma.Kernel<EmulatedWgmmaF16N64S4, TEpilogue>,
            (_, _, true) => ConvWgmma.Kernel<PtxWgmmaF16N64, TEpilogue>,
            _ => ConvWgmma.Kernel<EmulatedWgmmaF16N64, TEpilogue>,
        };

    /// <summary>The TMA-fed convolution kernel with the FP16 wgmma ops of a tile width (its deepest ring): PTX or emulated.</summary>
    internal static Action<TmaIm2col, TmaOperand, ArrayView<int>, ConvMma.Args, TEpilogue> TmaKernelFor<TEpilogue>(int tileN, bool ptx)
        where TEpilogue : struct, IGemmEpilogue =>
        (tileN, ptx) switch
        {
            (256, true) => ConvWgmmaTma.Kernel<PtxWgmmaF16N256, PtxTma, TEpilogue>,
            (256, false) => ConvWgmmaTma.Kernel<EmulatedWgmmaF16N256, EmulatedTma, TEpilogue>,
            (128, true) => ConvWgmmaTma.Kernel<PtxWgmmaF16N128, PtxTma, TEpilogue>,
            (128, false) => ConvWgmmaTma.Kernel<EmulatedWgmmaF16N128, EmulatedTma, TEpilogue>,
            (_, true) => ConvWgmmaTma.Kernel<PtxWgmmaF16N64, PtxTma, TEpilogue>,
            _ => ConvWgmmaTma.Kernel<EmulatedWgmmaF16N64, EmulatedTma, TEpilogue>,
        };
}
