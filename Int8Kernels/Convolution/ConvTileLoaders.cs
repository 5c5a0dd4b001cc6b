using System.Runtime.CompilerServices;
using ILGPU;
using ILGPUInt8.Kernels.Quantization;

namespace ILGPUInt8.Kernels.Convolution;

/// <summary>
/// Fetches one 16-byte chunk of an implicit-GEMM A row: bytes kb..kb+15 of the reduction index
/// k = (r·S + s)·Cg + c, i.e. x[n, h0 + r·dh, w0 + s·dw, g·Cg + c ...], zero outside the image or past R·S·Cg.
/// The activation is passed as 32-bit words (4 channels each). A struct type parameter of the kernel.
/// </summary>
internal interface IConvTileLoader
{
    /// <summary>The chunk as four words (word w holds k = kb + 4w .. kb + 4w + 3).</summary>
    Int4 Load(ArrayView<int> x, ConvPixel pixel, int group, int kb, ConvGeometry g);
}

/// <summary>
/// The input position of reduction index k for an output pixel: k = (r·S + s)·Cg + c reads row h = h0 + r·dh, column
/// w = w0 + s·dw, channel g·Cg + c; <see cref="Inside"/> is false for padding, rows past M and k past R·S·Cg.
/// </summary>
internal readonly record struct ConvTap(bool Inside, int N, int H, int W, int Channel)
{
    /// <summary>Decodes k for <paramref name="pixel"/> in <paramref name="group"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ConvTap Locate(ConvPixel pixel, int group, int k, ConvGeometry g)
    {
        int rs = k / g.CPerGroup;
        int c = k - (rs * g.CPerGroup);
        int r = rs / g.S;
        int s = rs - (r * g.S);
        int h = pixel.H0 + (r * g.DilationH);
        int w = pixel.W0 + (s * g.DilationW);
        bool inside = pixel.Valid && k < g.GemmK && h >= 0 && h < g.H && w >= 0 && w < g.W;
        return new ConvTap(inside, pixel.N, h, w, (group * g.CPerGroup) + c);
    }

    /// <summary>NHWC element index: ((n·H + h)·W + w)·C + channel.</summary>
    public long NhwcElement(ConvGeometry g) => ((((long)N * g.H) + H) * g.W + W) * g.C + Channel;

    /// <summary>NHWC word index of the tap's 4 channels: ((n·H + h)·W + w)·C/4 + channel/4.</summary>
    public long NhwcWord(ConvGeometry g) => ((((long)N * g.H) + H) * g.W + W) * g.C4 + (Channel >> 2);

    /// <summary>NCHW_VECT_C word index: ((n·C/4 + channel/4)·H + h)·W + w.</summary>
    public long VectCWord(ConvGeometry g) => ((((long)N * g.C4) + (Channel >> 2)) * g.H + H) * g.W + W;
}

/// <summary>Where a tap's word lies in memory (struct type parameter of <see cref="WordGather"/>).</summary>
internal interface IWordLayout
{
    /// <summary>The word index of the tap's 4 channels.</summary>
    long Word(ConvTap tap, ConvGeometry g);
}

/// <summary>NHWC words.</summary>
internal readonly struct NhwcWords : IWordLayout
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Word(ConvTap tap, ConvGeometry g) => tap.NhwcWord(g);
}

/// <summary>NCHW_VECT_C words.</summary>
internal readonly struct VectCWords : IWordLayout
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Word(ConvTap tap, ConvGeometry g) => tap.VectCWord(g);
}

/// <summary>A chunk gathered as four separate words (each may come from a different pixel).</summary>
internal static class WordGather
{
    /// <summary>Words k = kb, kb + 4, kb + 8, kb + 12, zero where the tap is outside.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Int4 Load<TLayout>(ArrayView<int> x, ConvPixel pixel, int group, int kb, ConvGeometry g)
        where TLayout : struct, IWordLayout
    {
        Int4 v;
        v.X = Word<TLayout>(x, ConvTap.Locate(pixel, group, kb, g), g);
        v.Y = Word<TLayout>(x, ConvTap.Locate(pixel, group, kb + 4, g), g);
        v.Z = Word<TLayout>(x, ConvTap.Locate(pixel, group, kb + 8, g), g);
        v.W = Word<TLayout>(x, ConvTap.Locate(pixel, group, kb + 12, g), g);
        return v;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Word<TLayout>(ArrayView<int> x, ConvTap tap, ConvGeometry g)
        where TLayout : struct, IWordLayout => tap.Inside ? x[default(TLayout).Word(tap, g)] : 0;
}

/// <summary>NHWC with C and Cg multiples of 16: a chunk is 16 channels of one input pixel, one 16-byte load.</summary>
internal readonly struct NhwcChunkLoader : IConvTileLoader
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Int4 Load(ArrayView<int> x, ConvPixel pixel, int group, int kb, ConvGeometry g)
    {
        var tap = ConvTap.Locate(pixel, group, kb, g);
        return tap.Inside ? x.Cast<Int4>()[tap.NhwcWord(g) >> 2] : default;
    }
}

/// <summary>NHWC with Cg a multiple of 4: each of the four words is gathered on its own (a chunk may span pixels).</summary>
internal readonly struct NhwcWordLoader : IConvTileLoader
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Int4 Load(ArrayView<int> x, ConvPixel pixel, int group, int kb, ConvGeometry g) =>
        WordGather.Load<NhwcWords>(x, pixel, group, kb, g);
}

/// <summary>NCHW_VECT_C (cuDNN INT8x4: [N][C/4][H][W][4]) with Cg a multiple of 4: word = 4 channels of one pixel.</summary>
internal readonly struct VectCWordLoader : IConvTileLoader
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Int4 Load(ArrayView<int> x, ConvPixel pixel, int group, int kb, ConvGeometry g) =>
        WordGather.Load<VectCWords>(x, pixel, group, kb, g);
}
