using ILGPU;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Kernels.Tensors;

namespace ILGPUInt8.Kernels.Convolution;

/// <summary>
/// The tensor-core convolution with the tile chosen per problem (<see cref="Choose(Int8Device, ConvProblem)"/>): 128×128 when the grid fills the
/// multiprocessors, 128×64 for K ≤ 64 (no half-empty 128-wide tiles) or when 128×128 tiles would be too few, and the
/// one-warp 64×64 tile when even 128×64 tiles leave multiprocessors idle (the 7×7 layers).
/// </summary>
public sealed class ConvMmaAuto : IConvVariant
{
    /// <summary>The registered name.</summary>
    public const string VariantName = "conv_s8_nhwc_mma_implicit_gemm";

    private readonly ConvMma _large;
    private readonly ConvMma _narrow;
    private readonly ConvMma _small;

    /// <summary>Creates the variant (<paramref name="allowCpuAccelerator"/>: also on the CPU accelerator, for tests).</summary>
    public ConvMmaAuto(bool allowCpuAccelerator = false)
    {
        _large = new ConvMma128x128(allowCpuAccelerator);
        _narrow = new ConvMma128x64(allowCpuAccelerator);
        _small = new ConvMma64x64(allowCpuAccelerator);
    }

    /// <inheritdoc />
    public string Name => VariantName;

    /// <inheritdoc />
    public string? CanImplement(Int8Device device, ConvProblem problem, TensorFormat format) => _large.CanImplement(device, problem, format);

    /// <summary>
    /// The tile for a problem: with M = N·P·Q, tiles(tm, tn) = ⌈M / tm⌉·⌈K / tn⌉ and S multiprocessors,
    /// 128×128 if K &gt; 64 and tiles(128, 128) ≥ S, else 128×64 if tiles(128, 64) ≥ S, else 64×64.
    /// </summary>
    public ConvMma Choose(Int8Device device, ConvProblem problem)
    {
        ArgumentNullException.ThrowIfNull(device);
        return Choose(problem, device.Accelerator.NumMultiprocessors);
    }

    /// <summary>The tile for a problem on a device with <paramref name="sms"/> multiprocessors.</summary>
    internal ConvMma Choose(ConvProblem problem, int sms)
    {
        ArgumentNullException.ThrowIfNull(problem);
        long m = (long)problem.N * problem.P * problem.Q;
        long Tiles(ConvMma t) => ((m + t.TileM - 1) / t.TileM) * ((problem.K + t.TileN - 1) / t.TileN);
        return problem.K > 64 && Tiles(_large) >= sms ? _large
            : Tiles(_narrow) >= sms ? _narrow
            : _small;
    }

    /// <inheritdoc />
    public void Run<TEpilogue>(Int8Device device, ArrayView<sbyte> x, TensorFormat format, PackedConvWeights weights, ConvProblem problem, TEpilogue epilogue)
        where TEpilogue : struct, IGemmEpilogue =>
        Choose(device, problem).Run(device, x, format, weights, problem, epilogue);
}
