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

/// <summary>NHWC with C and Cg multiples of 16: a chunk is 16 channels of one input pixel, one 16-byte load.</summary>
internal readonly struct NhwcChunkLoader : IConvTileLoader
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Int4 Load(ArrayView<int> x, ConvPixel pixel, int group, int kb, ConvGeometry g)
    {
        Int4 v = default;
        if (!pixel.Valid || kb >= g.GemmK)
        {
            return v;
        }

        int rs = kb / g.CPerGroup;
        int c = kb - (rs * g.CPerGroup);
        int r = rs / g.S;
        int s = rs - (r * g.S);
        int h = pixel.H0 + (r * g.DilationH);
        int w = pixel.W0 + (s * g.DilationW);
        if (h >= 0 && h < g.H && w >= 0 && w < g.W)
        {
            long word = ((((long)pixel.N * g.H) + h) * g.W + w) * g.C4 + (((group * g.CPerGroup) + c) >> 2);
            v = x.Cast<Int4>()[word >> 2];
        }

        return v;
    }
}

/// <summary>NHWC with Cg a multiple of 4: each of the four words is gathered on its own (a chunk may span pixels).</summary>
internal readonly struct NhwcWordLoader : IConvTileLoader
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Int4 Load(ArrayView<int> x, ConvPixel pixel, int group, int kb, ConvGeometry g)
    {
        Int4 v;
        v.X = Word(x, pixel, group, kb, g);
        v.Y = Word(x, pixel, group, kb + 4, g);
        v.Z = Word(x, pixel, group, kb + 8, g);
        v.W = Word(x, pixel, group, kb + 12, g);
        return v;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Word(ArrayView<int> x, ConvPixel pixel, int group, int k, ConvGeometry g)
    {
        if (!pixel.Valid || k >= g.GemmK)
        {
            return 0;
        }

        int rs = k / g.CPerGroup;
        int c = k - (rs * g.CPerGroup);
        int r = rs / g.S;
        int s = rs - (r * g.S);
        int h = pixel.H0 + (r * g.DilationH);
        int w = pixel.W0 + (s * g.DilationW);
        return h >= 0 && h < g.H && w >= 0 && w < g.W
            ? x[((((long)pixel.N * g.H) + h) * g.W + w) * g.C4 + (((group * g.CPerGroup) + c) >> 2)]
            : 0;
    }
}

/// <summary>NCHW_VECT_C (cuDNN INT8x4: [N][C/4][H][W][4]) with Cg a multiple of 4: word = 4 channels of one pixel.</summary>
internal readonly struct VectCWordLoader : IConvTileLoader
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Int4 Load(ArrayView<int> x, ConvPixel pixel, int group, int kb, ConvGeometry g)
    {
        Int4 v;
        v.X = Word(x, pixel, group, kb, g);
        v.Y = Word(x, pixel, group, kb + 4, g);
        v.Z = Word(x, pixel, group, kb + 8, g);
        v.W = Word(x, pixel, group, kb + 12, g);
        return v;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Word(ArrayView<int> x, ConvPixel pixel, int group, int k, ConvGeometry g)
    {
        if (!pixel.Valid || k >= g.GemmK)
        {
            return 0;
        }

        int rs = k / g.CPerGroup;
        int c = k - (rs * g.CPerGroup);
        int r = rs / g.S;
        int s = rs - (r * g.S);
        int h = pixel.H0 + (r * g.DilationH);
        int w = pixel.W0 + (s * g.DilationW);
        return h >= 0 && h < g.H && w >= 0 && w < g.W
            ? x[((((long)pixel.N * g.C4) + (((group * g.CPerGroup) + c) >> 2)) * g.H + h) * g.W + w]
            : 0;
    }
}
