using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Kernels.Tensors;

namespace ILGPUInt8.Kernels.Convolution;

/// <summary>
/// Direct convolution, one thread per output (m, k): acc = Σ_{r,s,c &lt; C/groups} x[n, h0 + r·dh, w0 + s·dw, g·Cg + c] ·
/// w[k][r][s][c]. Any channel count, groups and depthwise; the fallback and the path for small C/groups.
/// </summary>
public sealed class ConvDirect : IConvVariant
{
    /// <inheritdoc />
    public string Name => "conv_s8_direct";

    /// <inheritdoc />
    public string? CanImplement(Int8Device device, ConvProblem problem, TensorFormat format, long inputOffset = 0) =>
        format is TensorFormat.NHWC or TensorFormat.NCHW_VECT_C ? null : $"input format {format} is not NHWC or NCHW_VECT_C";

    /// <inheritdoc />
    public void Run<TEpilogue>(Int8Device device, ArrayView<sbyte> x, TensorFormat format, PackedConvWeights weights, ConvProblem problem, TEpilogue epilogue)
        where TEpilogue : struct, IGemmEpilogue
    {
        var g = ConvGeometry.From(problem);
        if (format == TensorFormat.NHWC)
        {
            Launch<NhwcLayout, TEpilogue>(device, x, weights, g, epilogue);
        }
        else
        {
            Launch<NchwVectCLayout, TEpilogue>(device, x, weights, g, epilogue);
        }
    }

    private static void Launch<TLayout, TEpilogue>(Int8Device device, ArrayView<sbyte> x, PackedConvWeights weights, ConvGeometry g, TEpilogue epilogue)
        where TLayout : struct, ILayout
        where TEpilogue : struct, IGemmEpilogue
    {
        var kernel = device.GetKernel($"conv.direct.{typeof(TLayout).Name}.{typeof(TEpilogue).FullName}", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<sbyte>, ArrayView<sbyte>, ConvGeometry, int, TEpilogue>(Kernel<TLayout, TEpilogue>));
        // One thread per output, a 1-D index (a 2-D grid is limited to 65535 rows).
        kernel(new Index1D(g.K * g.GemmM), x, weights.View, g, weights.Stride, epilogue);
    }

    /// <summary>Thread m·K + k.</summary>
    internal static void Kernel<TLayout, TEpilogue>(Index1D index, ArrayView<sbyte> x, ArrayView<sbyte> w, ConvGeometry g, int stride, TEpilogue epilogue)
        where TLayout : struct, ILayout
        where TEpilogue : struct, IGemmEpilogue
    {
        int m = index.X / g.K, k = index.X - (m * g.K);
        var pixel = ConvPixel.Decode(m, g);
        int group = k / g.KPerGroup;
        long row = (long)k * stride;
        int acc = 0;
        for (int r = 0; r < g.R; r++)
        {
            int h = pixel.H0 + (r * g.DilationH);
            for (int s = 0; s < g.S; s++)
            {
                int ww = pixel.W0 + (s * g.DilationW);
                if (h < 0 || h >= g.H || ww < 0 || ww >= g.W)
                {
                    continue;
                }

                long wBase = row + (((r * g.S) + s) * g.CPerGroup);
                for (int c = 0; c < g.CPerGroup; c++)
                {
                    acc += x[default(TLayout).Offset(pixel.N, (group * g.CPerGroup) + c, h, ww, g.C, g.H, g.W)] * w[wBase + c];
                }
            }
        }

        epilogue.Apply(m, k, acc);
    }
}
