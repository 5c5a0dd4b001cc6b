using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Kernels.Tensors;

namespace ILGPUInt8.Kernels.Convolution;

/// <summary>
/// Depthwise int8 convolution over NHWC (groups = C = K, any R, S, stride, padding, dilation):
/// acc[n, p, q, c] = Σ_{r,s} x[n, p·sH − padH + r·dH, q·sW − padW + s·dW, c] · w[c][r][s] (taps outside the input are
/// skipped), then the epilogue. One thread computes four adjacent channels (c = 4·c4 .. 4·c4 + 3) of
/// <see cref="Columns"/> adjacent output pixels along W: per tap it reads each pixel's four channels as one 32-bit word
/// (bytes when C is not a multiple of 4 or the input does not start on 4 bytes) and the four channels' weights once
/// for all the pixels; lane j accumulates through dp4a with the weight word that has only lane j set
/// (acc_j += x_j · w_j exactly, the other lanes multiply by zero). Thread i = ((n·P + p)·⌈Q/4⌉ + qb)·⌈C/4⌉ + c4, so a
/// warp's loads and stores run along the channels. A channel multiplier (K = m·C) stays on <see cref="ConvDirect"/>.
/// </summary>
public sealed class ConvDepthwise : IConvVariant
{
    /// <summary>Output pixels along W per thread.</summary>
    public const int Columns = 4;

    /// <inheritdoc />
    public string Name => "conv_s8_depthwise";

    /// <inheritdoc />
    public string? CanImplement(Int8Device device, ConvProblem problem, TensorFormat format, long inputOffset = 0)
    {
        ArgumentNullException.ThrowIfNull(problem);
        return format != TensorFormat.NHWC ? $"input format {format} is not NHWC"
            : problem.Groups != problem.C || problem.K != problem.C ? $"not depthwise (groups {problem.Groups}, C {problem.C}, K {problem.K}; groups = C = K needed)"
            : null;
    }

    /// <inheritdoc />
    public void Run<TEpilogue>(Int8Device device, ArrayView<sbyte> x, TensorFormat format, PackedConvWeights weights, ConvProblem problem, TEpilogue epilogue)
        where TEpilogue : struct, IGemmEpilogue
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(problem);
        var g = ConvGeometry.From(problem);
        int threads = checked(g.N * g.P * ((g.Q + Columns - 1) / Columns) * g.C4);
        if (g.C % 4 == 0 && QuantArgs.Aligned(x, 4))
        {
            Load<WordPixels, TEpilogue>(device)(threads, x, weights.View, g, weights.Stride, epilogue);
        }
        else
        {
            Load<BytePixels, TEpilogue>(device)(threads, x, weights.View, g, weights.Stride, epilogue);
        }
    }

    private static Action<Index1D, ArrayView<sbyte>, ArrayView<sbyte>, ConvGeometry, int, TEpilogue> Load<TPixels, TEpilogue>(Int8Device device)
        where TPixels : struct, IDepthwisePixels
        where TEpilogue : struct, IGemmEpilogue =>
        device.GetKernel($"conv.depthwise.{typeof(TPixels).Name}.{typeof(TEpilogue).FullName}", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<sbyte>, ArrayView<sbyte>, ConvGeometry, int, TEpilogue>(Kernel<TPixels, TEpilogue>));

    /// <summary>Thread ((n·P + p)·QB + qb)·C4 + c4: channels 4·c4.., output columns Columns·qb...</summary>
    internal static void Kernel<TPixels, TEpilogue>(Index1D index, ArrayView<sbyte> x, ArrayView<sbyte> w, ConvGeometry g, int stride, TEpilogue epilogue)
        where TPixels : struct, IDepthwisePixels
        where TEpilogue : struct, IGemmEpilogue
    {
        int c4s = g.C4;
        int qBlocks = (g.Q + Columns - 1) / Columns;
        int c4 = index.X % c4s, t = index.X / c4s;
        int qb = t % qBlocks, np = t / qBlocks;
        int p = np % g.P, n = np / g.P;
        int c = 4 * c4, cLast = g.C - 1;

        // The four channels' weight rows, clamped to the last channel; a lane past C gets a zero weight (mask 0), so
        // whatever its input lane holds adds nothing.
        int row0 = c * stride;
        int row1 = IntrinsicMath.Min(c + 1, cLast) * stride;
        int row2 = IntrinsicMath.Min(c + 2, cLast) * stride;
        int row3 = IntrinsicMath.Min(c + 3, cLast) * stride;
        int mask1 = c + 1 <= cLast ? 0xFF : 0;
        int mask2 = c + 2 <= cLast ? 0xFF : 0;
        int mask3 = c + 3 <= cLast ? 0xFF : 0;

        int q0 = qb * Columns;
        int h0 = (p * g.StrideH) - g.PadH;
        int w0 = (q0 * g.StrideW) - g.PadW;
        var a0 = default(Lanes4);
        var a1 = default(Lanes4);
        var a2 = default(Lanes4);
        var a3 = default(Lanes4);
        var pixels = default(TPixels);
        for (int r = 0; r < g.R; r++)
        {
            int h = h0 + (r * g.DilationH);
            if (h < 0 || h >= g.H)
            {
                continue;
            }

            int rowPixel = ((n * g.H) + h) * g.W;
            for (int s = 0; s < g.S; s++)
            {
                int tap = (r * g.S) + s;

                // Weight word j holds w[c + j][r][s] in lane j and zeros elsewhere: dp4a(x, W_j, acc) = acc + x_j · w_j.
                int wt0 = w[row0 + tap] & 0xFF;
                int wt1 = (w[row1 + tap] & mask1) << 8;
                int wt2 = (w[row2 + tap] & mask2) << 16;
                int wt3 = (w[row3 + tap] & mask3) << 24;
                int col = w0 + (s * g.DilationW);
                a0.Add(pixels.Load(x, g, rowPixel, col, c), wt0, wt1, wt2, wt3);
                a1.Add(pixels.Load(x, g, rowPixel, col + g.StrideW, c), wt0, wt1, wt2, wt3);
                a2.Add(pixels.Load(x, g, rowPixel, col + (2 * g.StrideW), c), wt0, wt1, wt2, wt3);
                a3.Add(pixels.Load(x, g, rowPixel, col + (3 * g.StrideW), c), wt0, wt1, wt2, wt3);
            }
        }

        // Output row m = (n·P + p)·Q + q, column = channel.
        int m = (np * g.Q) + q0;
        bool full = c + 3 <= cLast;
        a0.Store(epilogue, m, c, full, cLast);
        if (q0 + 1 < g.Q)
        {
            a1.Store(epilogue, m + 1, c, full, cLast);
        }

        if (q0 + 2 < g.Q)
        {
            a2.Store(epilogue, m + 2, c, full, cLast);
        }

        if (q0 + 3 < g.Q)
        {
            a3.Store(epilogue, m + 3, c, full, cLast);
        }
    }
}

/// <summary>Reads one input pixel's four channels c..c+3 as a packed word (struct type parameter).</summary>
internal interface IDepthwisePixels
{
    /// <summary>
    /// x[pixel rowPixel + col, c..c+3] packed (lane j = channel c + j), 0 when col is outside [0, W); lanes past C hold
    /// any value (their weights are zero).
    /// </summary>
    int Load(ArrayView<sbyte> x, ConvGeometry g, int rowPixel, int col, int c);
}

/// <summary>One 32-bit load: C a multiple of 4 and x on a 4-byte boundary.</summary>
internal readonly struct WordPixels : IDepthwisePixels
{
    /// <inheritdoc />
    public int Load(ArrayView<sbyte> x, ConvGeometry g, int rowPixel, int col, int c) =>
        col < 0 || col >= g.W ? 0 : x.Cast<int>()[(((rowPixel + col) * g.C) + c) >> 2];
}

/// <summary>Four byte loads, channels clamped to C − 1: any C.</summary>
internal readonly struct BytePixels : IDepthwisePixels
{
    /// <inheritdoc />
    public int Load(ArrayView<sbyte> x, ConvGeometry g, int rowPixel, int col, int c)
    {
        if (col < 0 || col >= g.W)
        {
            return 0;
        }

        int i = (rowPixel + col) * g.C;
        int last = i + g.C - 1;
        return PackedInt8.Pack(x[i + c], x[IntrinsicMath.Min(i + c + 1, last)], x[IntrinsicMath.Min(i + c + 2, last)], x[IntrinsicMath.Min(i + c + 3, last)]);
    }
}

/// <summary>Four int32 channel accumulators of one output pixel.</summary>
internal struct Lanes4
{
    private int _a0, _a1, _a2, _a3;

    /// <summary>acc_j += x_j · w_j through dp4a with the lane-j-only weight words.</summary>
    public void Add(int x, int w0, int w1, int w2, int w3)
    {
        _a0 = Dp4a.SS(x, w0, _a0);
        _a1 = Dp4a.SS(x, w1, _a1);
        _a2 = Dp4a.SS(x, w2, _a2);
        _a3 = Dp4a.SS(x, w3, _a3);
    }

    /// <summary>Channels c..c+3 of output row m through the epilogue (one Apply4, else lane by lane up to C − 1).</summary>
    public readonly void Store<TEpilogue>(TEpilogue epilogue, int m, int c, bool full, int cLast)
        where TEpilogue : struct, IGemmEpilogue
    {
        if (full)
        {
            epilogue.Apply4(m, c, _a0, _a1, _a2, _a3);
            return;
        }

        epilogue.Apply(m, c, _a0);
        if (c + 1 <= cLast)
        {
            epilogue.Apply(m, c + 1, _a1);
        }

        if (c + 2 <= cLast)
        {
            epilogue.Apply(m, c + 2, _a2);
        }
    }
}
