using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Kernels.Tensors;

namespace ILGPUInt8.Kernels.Convolution;

/// <summary>
/// Implicit-GEMM convolution on dp4a: the 128×128×32 tiled GEMM (<see cref="GemmDp4aTiled"/>) with A gathered from
/// the activation on the fly (M = N·P·Q output pixels, K = R·S·C/groups, one grid layer per group), epilogue fused.
/// NHWC with C and C/groups multiples of 16 loads 16 channels at once; other multiples of 4 (and NCHW_VECT_C) gather words.
/// </summary>
public sealed class ConvDp4aImplicitGemm : IConvVariant
{
    /// <inheritdoc />
    public string Name => "conv_s8_nhwc_dp4a_implicit_gemm_128x128x32";

    /// <inheritdoc />
    public string? CanImplement(Int8Device device, ConvProblem problem, TensorFormat format)
    {
        if (format is not (TensorFormat.NHWC or TensorFormat.NCHW_VECT_C))
        {
            return $"input format {format} is not NHWC or NCHW_VECT_C";
        }

        if (problem.C % 4 != 0 || problem.CPerGroup % 4 != 0)
        {
            return $"C ({problem.C}) and C/groups ({problem.CPerGroup}) must be multiples of 4 (pad channels, or use the direct variant)";
        }

        return null;
    }

    /// <inheritdoc />
    public void Run<TEpilogue>(Int8Device device, ArrayView<sbyte> x, TensorFormat format, PackedConvWeights weights, ConvProblem problem, TEpilogue epilogue)
        where TEpilogue : struct, IGemmEpilogue
    {
        var g = ConvGeometry.From(problem);
        bool chunks = format == TensorFormat.NHWC && problem.C % 16 == 0 && problem.CPerGroup % 16 == 0 && QuantArgs.Aligned16(x);
        if (chunks)
        {
            Launch(device, x, weights, g, problem.Groups, default(NhwcChunkLoader), epilogue);
        }
        else if (format == TensorFormat.NHWC)
        {
            Launch(device, x, weights, g, problem.Groups, default(NhwcWordLoader), epilogue);
        }
        else
        {
            Launch(device, x, weights, g, problem.Groups, default(VectCWordLoader), epilogue);
        }
    }

    private static void Launch<TLoader, TEpilogue>(Int8Device device, ArrayView<sbyte> x, PackedConvWeights weights, ConvGeometry g, int groups, TLoader loader, TEpilogue epilogue)
        where TLoader : struct, IConvTileLoader
        where TEpilogue : struct, IGemmEpilogue
    {
        var kernel = device.GetKernel($"conv.dp4a.igemm.{typeof(TLoader).Name}.{typeof(TEpilogue).FullName}", a =>
            a.LoadStreamKernel<ArrayView<int>, ArrayView<Int4>, Args, TLoader, TEpilogue>(ConvDp4aImplicitGemmKernel.Kernel));
        var grid = new Index3D((g.KPerGroup + 127) / 128, (g.GemmM + 127) / 128, groups);
        kernel(
            new KernelConfig(grid, new Index3D(256, 1, 1)),
            x.SubView(0, x.Length / 4 * 4).Cast<int>(),
            weights.View.Cast<Int4>(),
            new Args(g, weights.Stride / 16),
            loader,
            epilogue);
    }

    /// <summary>Kernel arguments: the geometry and the weight stride in 16-byte units.</summary>
    internal readonly record struct Args(ConvGeometry Geometry, int Ldb16);
}
