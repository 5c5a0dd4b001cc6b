using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Ops;

/// <summary>
/// Writes the folded stem input z [N, H2, W2, C2] of a <see cref="ConvStemFold"/> (space-to-depth, int8):
/// z[n, y, x, c'] = v(n, c, sh·y − oh + i, sw·x − ow + j) for c' = (i·sw + j)·C + c &lt; sh·sw·C inside the image, else 0,
/// from one of three sources, each giving the int8 value v of (n, c, h, w):
/// <list type="bullet">
/// <item>int8 NHWC: v = x[n, h, w, c];</item>
/// <item>float NCHW (the engine's input, fused quantize): v = clamp(round_half_even(x[n, c, h, w] · (1/s)), −127, 127),
/// <see cref="QuantMath.QuantizeWithInverse"/> with 1/s rounded to float on the host, the bits of the input convert;</item>
/// <item>uint8 NHWC images: v = table[c·256 + x[n, h, w, c]], the table built on the host (normalization then quantize).</item>
/// </list>
/// One thread a word of z (4 folded channels).
/// </summary>
public static class StemFold
{
    /// <summary>z from int8 NHWC x [N, H, W, C] (asynchronous).</summary>
    public static void FromS8Nhwc(Int8Device device, ArrayView<sbyte> x, ConvStemFold fold, ArrayView<sbyte> z)
    {
        Check(device, x.Length, fold, z, nameof(x));
        Launch(device, "s8", z, fold, new S8NhwcSource(x));
    }

    /// <summary>z from float NCHW x [N, C, H, W], quantized with scale <paramref name="scale"/> (asynchronous).</summary>
    public static void FromF32Nchw(Int8Device device, ArrayView<float> x, ConvStemFold fold, ArrayView<sbyte> z, float scale)
    {
        Check(device, x.Length, fold, z, nameof(x));
        Launch(device, "f32", z, fold, new F32NchwSource(x, QuantMath.Inverse(scale)));
    }

    /// <summary>z from uint8 NHWC images x [N, H, W, C] through <paramref name="table"/> [C][256] (asynchronous).</summary>
    public static void FromU8Nhwc(Int8Device device, ArrayView<byte> x, ArrayView<sbyte> table, ConvStemFold fold, ArrayView<sbyte> z)
    {
        Check(device, x.Length, fold, z, nameof(x));
        OpArgs.AtLeast(table.Length, 256L * fold.Problem.C, nameof(table));
        Launch(device, "u8", z, fold, new U8NhwcSource(x, table));
    }

    private static void Check(Int8Device device, long xLength, ConvStemFold fold, ArrayView<sbyte> z, string xName)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(fold);
        var p = fold.Problem;
        OpArgs.AtLeast(xLength, (long)p.N * p.C * p.H * p.W, xName);
        OpArgs.AtLeast(z.Length, fold.FoldedBytes, nameof(z));
        if (!QuantArgs.Aligned(z, 4))
        {
            throw new ArgumentException("z must start on a 4-byte boundary (four channels are stored as one word).", nameof(z));
        }
    }

    private static void Launch<TSource>(Int8Device device, string name, ArrayView<sbyte> z, ConvStemFold fold, TSource source)
        where TSource : struct, IStemSource
    {
        var kernel = device.GetKernel("stemfold." + name, a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, FoldArgs, TSource>(Kernel));
        var args = FoldArgs.From(fold);
        kernel((int)(fold.FoldedBytes / 4), z.SubView(0, fold.FoldedBytes).Cast<int>(), args, source);
    }

    /// <summary>Thread t: word t of z, folded channels 4·(t mod C2/4) .. +3 of folded pixel t / (C2/4).</summary>
    internal static void Kernel<TSource>(Index1D t, ArrayView<int> z, FoldArgs a, TSource source)
        where TSource : struct, IStemSource
    {
        int words = a.C2 >> 2;
        int pixel = t / words;
        int c0 = (t - (pixel * words)) << 2;
        int x2 = pixel % a.W2;
        int rest = pixel / a.W2;
        int y2 = rest % a.H2;
        int n = rest / a.H2;
        z[t] = PackedInt8.Pack(
            Value(source, a, n, y2, x2, c0),
            Value(source, a, n, y2, x2, c0 + 1),
            Value(source, a, n, y2, x2, c0 + 2),
            Value(source, a, n, y2, x2, c0 + 3));
    }

    // v for folded channel c' = (i·sw + j)·C + c of folded pixel (n, y, x); 0 past sh·sw·C and outside the image.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Value<TSource>(TSource source, FoldArgs a, int n, int y, int x, int folded)
        where TSource : struct, IStemSource
    {
        int ij = folded / a.C;
        int c = folded - (ij * a.C);
        int i = ij / a.StrideW;
        int j = ij - (i * a.StrideW);
        int h = (a.StrideH * y) - a.OffsetH + i;
        int w = (a.StrideW * x) - a.OffsetW + j;
        bool inside = folded < a.DataChannels && h >= 0 && h < a.H && w >= 0 && w < a.W;
        return inside ? source.Load(n, c, h, w, a) : 0;
    }
}

/// <summary>Kernel arguments of <see cref="StemFold"/>: the image, the strides and offsets, the folded sizes.</summary>
internal readonly record struct FoldArgs(int C, int H, int W, int StrideH, int StrideW, int OffsetH, int OffsetW, int DataChannels, int H2, int W2, int C2)
{
    public static FoldArgs From(ConvStemFold f) => new(
        f.Problem.C, f.Problem.H, f.Problem.W, f.Problem.StrideH, f.Problem.StrideW, f.OffsetH, f.OffsetW, f.DataChannels, f.Folded.H, f.Folded.W, f.Folded.C);
}

/// <summary>Where the int8 value of image n, channel c, row h, column w comes from (struct type parameter).</summary>
internal interface IStemSource
{
    /// <summary>The int8 value (inside the image).</summary>
    int Load(int n, int c, int h, int w, FoldArgs a);
}

/// <summary>Int8 NHWC.</summary>
internal readonly record struct S8NhwcSource(ArrayView<sbyte> X) : IStemSource
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Load(int n, int c, int h, int w, FoldArgs a) => X[((((long)n * a.H) + h) * a.W + w) * a.C + c];
}

/// <summary>Float NCHW, quantized: clamp(round_half_even(x · inverse), −127, 127).</summary>
internal readonly record struct F32NchwSource(ArrayView<float> X, float Inverse) : IStemSource
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Load(int n, int c, int h, int w, FoldArgs a) =>
        QuantMath.QuantizeWithInverse(X[((((long)n * a.C) + c) * a.H + h) * a.W + w], Inverse);
}

/// <summary>Uint8 NHWC through a per-channel table [C][256].</summary>
internal readonly record struct U8NhwcSource(ArrayView<byte> X, ArrayView<sbyte> Table) : IStemSource
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Load(int n, int c, int h, int w, FoldArgs a) => Table[(c << 8) + X[((((long)n * a.H) + h) * a.W + w) * a.C + c]];
}
