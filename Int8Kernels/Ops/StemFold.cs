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
/// <para>
/// Schedule (<see cref="RowTiled"/>): one block a folded row (n, y): the sh image rows h = sh·y − oh + i of every channel
/// are read once, coalesced in the source's own order (float NCHW: w fastest; NHWC: (w, c) contiguous), four loads in
/// flight a thread, converted to int8 into shared memory [i][w][c]; then the row's W2·C2/4 words of z are written from
/// there, consecutive threads consecutive words. The image is read once and z written once (b256 ResNet stem from float:
/// 154 MB + 54 MB). Rows wider than the shared tile (sh·W·C &gt; <see cref="MaxRowBytes"/>) take the per-word kernel: one
/// thread a word of z, each value loaded where it lies (each image value read by up to 4 threads, uncoalesced across
/// channel planes). Both give the same bits.
/// </para>
/// </summary>
public static class StemFold
{
    /// <summary>Largest sh·W·C the row-tiled kernel holds in shared memory (bytes).</summary>
    public const int MaxRowBytes = 12 * 1024;

    private const int RowThreads = 256;

    /// <summary>Whether <paramref name="fold"/> runs the row-tiled kernel: sh·W·C ≤ <see cref="MaxRowBytes"/>.</summary>
    public static bool RowTiled(ConvStemFold fold)
    {
        ArgumentNullException.ThrowIfNull(fold);
        return !PerWordForced && (long)fold.Problem.StrideH * fold.Problem.W * fold.Problem.C <= MaxRowBytes;
    }

    /// <summary>Runs the per-word kernel whatever the row width (the Perf suite's A/B of the two schedules).</summary>
    internal static bool PerWordForced { get; set; }

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
        var args = FoldArgs.From(fold);
        var words = z.SubView(0, fold.FoldedBytes).Cast<int>();
        if (RowTiled(fold))
        {
            var rows = device.GetKernel("stemfold.rows." + name, a =>
                a.LoadStreamKernel<ArrayView<int>, FoldArgs, TSource>(RowKernel));
            rows(new KernelConfig(fold.Folded.N * fold.Folded.H, RowThreads), words, args, source);
            return;
        }

        var kernel = device.GetKernel("stemfold." + name, a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, FoldArgs, TSource>(Kernel));
        kernel((int)(fold.FoldedBytes / 4), words, args, source);
    }

    /// <summary>
    /// Block b: folded row (n, y) = (b / H2, b mod H2). Shared s[(i·W + w)·C + c] = v(n, c, sh·y − oh + i, w) (0 for rows
    /// outside the image); per folded channel c' = (i·sw + j)·C + c &lt; sh·sw·C its offset i·W·C + j·C + c and its j
    /// (−1 past the data channels); word q of the row (pixel x = q / (C2/4)) packs s[offset + (sw·x − ow)·C] of its
    /// four channels, 0 where w = sw·x − ow + j is outside the image.
    /// </summary>
    internal static void RowKernel<TSource>(ArrayView<int> z, FoldArgs a, TSource source)
        where TSource : struct, IStemSource
    {
        var s = SharedMemory.Allocate<sbyte>(MaxRowBytes);
        var offset = SharedMemory.Allocate<int>(ConvStemFold.MaxFoldedChannels);
        var column = SharedMemory.Allocate<int>(ConvStemFold.MaxFoldedChannels);
        int t = Group.IdxX;
        int n = Grid.IdxX / a.H2;
        int y = Grid.IdxX - (n * a.H2);
        int h0 = (a.StrideH * y) - a.OffsetH;
        if (t < a.C2)
        {
            int ij = t / a.C;
            int c = t - (ij * a.C);
            int i = ij / a.StrideW;
            int j = ij - (i * a.StrideW);
            bool data = t < a.DataChannels;
            offset[t] = data ? (i * a.W * a.C) + (j * a.C) + c : 0;
            column[t] = data ? j : -1;
        }

        // The sh rows of every channel, in the source's order: element e = i·(W·C) + rem, rem → (c, w) by the source.
        int plane = a.W * a.C;
        int total = a.StrideH * plane;
        for (int e0 = t; e0 < total; e0 += 4 * RowThreads)
        {
            int v0 = RowValue(source, a, n, h0, plane, e0, total);
            int v1 = RowValue(source, a, n, h0, plane, e0 + RowThreads, total);
            int v2 = RowValue(source, a, n, h0, plane, e0 + (2 * RowThreads), total);
            int v3 = RowValue(source, a, n, h0, plane, e0 + (3 * RowThreads), total);
            Store(s, source, a, plane, e0, total, v0);
            Store(s, source, a, plane, e0 + RowThreads, total, v1);
            Store(s, source, a, plane, e0 + (2 * RowThreads), total, v2);
            Store(s, source, a, plane, e0 + (3 * RowThreads), total, v3);
        }

        Group.Barrier();
        int perPixel = a.C2 >> 2;
        int words = a.W2 * perPixel;
        long row = (long)Grid.IdxX * words;
        for (int q = t; q < words; q += RowThreads)
        {
            int x = q / perPixel;
            int c0 = (q - (x * perPixel)) << 2;
            int w0 = (a.StrideW * x) - a.OffsetW;
            z[row + q] = PackedInt8.Pack(
                Folded(s, offset, column, a, w0, c0),
                Folded(s, offset, column, a, w0, c0 + 1),
                Folded(s, offset, column, a, w0, c0 + 2),
                Folded(s, offset, column, a, w0, c0 + 3));
        }
    }

    // v of element e of the block's rows (0 past the end and for rows outside the image).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int RowValue<TSource>(TSource source, FoldArgs a, int n, int h0, int plane, int e, int total)
        where TSource : struct, IStemSource
    {
        if (e >= total)
        {
            return 0;
        }

        int i = e / plane;
        int h = h0 + i;
        source.Position(e - (i * plane), a, out int c, out int w);
        return h >= 0 && h < a.H ? source.Load(n, c, h, w, a) : 0;
    }

    // s[(i·W + w)·C + c] = v for element e.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TSource>(ArrayView<sbyte> s, TSource source, FoldArgs a, int plane, int e, int total, int v)
        where TSource : struct, IStemSource
    {
        if (e < total)
        {
            int i = e / plane;
            source.Position(e - (i * plane), a, out int c, out int w);
            s[(i * plane) + (w * a.C) + c] = (sbyte)v;
        }
    }

    // Folded channel c' of the pixel whose first image column is w0.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Folded(ArrayView<sbyte> s, ArrayView<int> offset, ArrayView<int> column, FoldArgs a, int w0, int folded)
    {
        int j = column[folded];
        int w = w0 + j;
        return j >= 0 && w >= 0 && w < a.W ? s[offset[folded] + (w0 * a.C)] : 0;
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

    /// <summary>
    /// Channel and column of element <paramref name="rem"/> of an image row of all channels (W·C values), in the order
    /// the source stores them (so consecutive rem are consecutive in memory).
    /// </summary>
    void Position(int rem, FoldArgs a, out int c, out int w);
}

/// <summary>Int8 NHWC.</summary>
internal readonly record struct S8NhwcSource(ArrayView<sbyte> X) : IStemSource
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Load(int n, int c, int h, int w, FoldArgs a) => X[((((long)n * a.H) + h) * a.W + w) * a.C + c];

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Position(int rem, FoldArgs a, out int c, out int w)
    {
        w = rem / a.C;
        c = rem - (w * a.C);
    }
}

/// <summary>Float NCHW, quantized: clamp(round_half_even(x · inverse), −127, 127).</summary>
internal readonly record struct F32NchwSource(ArrayView<float> X, float Inverse) : IStemSource
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Load(int n, int c, int h, int w, FoldArgs a) =>
        QuantMath.QuantizeWithInverse(X[((((long)n * a.C) + c) * a.H + h) * a.W + w], Inverse);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Position(int rem, FoldArgs a, out int c, out int w)
    {
        c = rem / a.W;
        w = rem - (c * a.W);
    }
}

/// <summary>Uint8 NHWC through a per-channel table [C][256].</summary>
internal readonly record struct U8NhwcSource(ArrayView<byte> X, ArrayView<sbyte> Table) : IStemSource
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Load(int n, int c, int h, int w, FoldArgs a) => Table[(c << 8) + X[((((long)n * a.H) + h) * a.W + w) * a.C + c]];

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Position(int rem, FoldArgs a, out int c, out int w)
    {
        w = rem / a.C;
        c = rem - (w * a.C);
    }
}
