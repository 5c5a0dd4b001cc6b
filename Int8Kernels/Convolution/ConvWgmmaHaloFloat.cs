using ILGPU;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Convolution;

/// <summary>
/// The halo-tile convolution (<see cref="ConvWgmmaHalo"/>: stride 1, every tap a shifted descriptor over one shared
/// input tile, resident weights) in FP16: the same kernel on the bytes of the half tensors
/// (<see cref="ConvFloat.BytesProblem"/>: C' = 2C one-byte channels, so C a multiple of 16 halves) with
/// <c>wgmma.mma_async.sync.aligned.m64n64k16.f32.f16.f16</c>, FP32 accumulators read back as floats, summed in the
/// implicit GEMM's K order (tap-major), so the bits equal the other FP16 wgmma convolutions'.
/// </summary>
public sealed class ConvWgmmaHaloFloat : IFloatConvVariant
{
    private readonly bool _allowCpu;
    private readonly int _blocksPerColumn;

    /// <summary>Creates the variant; CPU accelerator and a fixed grid (resident blocks a column) for tests only.</summary>
    public ConvWgmmaHaloFloat(bool allowCpuAccelerator = false, int blocksPerColumn = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(blocksPerColumn);
        _allowCpu = allowCpuAccelerator;
        _blocksPerColumn = blocksPerColumn;
    }

    /// <inheritdoc />
    public string Name => "conv_f16f16f32_nhwc_wgmma_halo_64x64";

    /// <inheritdoc />
    public FloatMmaInput Input => FloatMmaInput.Fp16;

    /// <inheritdoc />
    public string? CanImplement(Int8Device device, ConvProblem problem) =>
        GemmWgmmaTn.DeviceLimit(device, _allowCpu)
        ?? ConvFloat.Limit(device, problem, FloatMmaInput.Fp16, allowCpu: true)
        ?? ConvWgmmaHalo.Limit(ConvFloat.BytesProblem(problem, FloatMmaInput.Fp16));

    /// <inheritdoc />
    public void Run<TEpilogue>(Int8Device device, ArrayView<sbyte> x, ArrayView<sbyte> weights, ConvProblem problem, TEpilogue epilogue)
        where TEpilogue : struct, IFloatGemmEpilogue
    {
        ConvFloat.CheckRun(this, device, problem);

        ConvFloat.CheckOperands(Name, x, weights, problem, FloatMmaInput.Fp16);
        var bytes = ConvFloat.BytesProblem(problem, FloatMmaInput.Fp16);
        ConvWgmmaHalo.Launch(
            device,
            $"conv.wgmmaf16.halo.{typeof(TEpilogue).FullName}",
            ptx => ptx ? ConvWgmmaHalo.Kernel<PtxWgmmaF16N64, FloatBitsEpilogue<TEpilogue>> : ConvWgmmaHalo.Kernel<EmulatedWgmmaF16N64, FloatBitsEpilogue<TEpilogue>>,
            x,
            weights,
            bytes.R * bytes.S * bytes.C,
            bytes,
            _blocksPerColumn,
            new FloatBitsEpilogue<TEpilogue>(epilogue));
    }

    /// <inheritdoc />
    public override string ToString() => Name;
}
