using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Kernels.Tensors;

namespace ILGPUInt8.Kernels.Ops;

/// <summary>
/// NCHW → NHWC of a float tensor with C = 3 (the network image input), four pixels a thread. Thread t = n·(H·W/4) + k
/// reads a = x[n, 0, 4k..4k+3], b = x[n, 1, 4k..], c = x[n, 2, 4k..] (one 16-byte load a plane) and writes the 12
/// values of pixels 4k..4k+3, pixel-major, at element 12·t of y: a0 b0 c0 a1 | b1 c1 a2 b2 | c2 a3 b3 c3, each value
/// through the store's element conversion (float copy, half rounding packed four to 8 bytes, or
/// <see cref="QuantMath.QuantizeWithInverse"/> packed four to a word). Needs H·W a multiple of 4, x on 16 bytes, y on
/// 16 (float), 8 (half) or 4 (int8) bytes; else the caller's general kernel runs.
/// </summary>
internal static class ConvertRgb
{
    /// <summary>Launches and returns true when the shape and views fit (asynchronous); else false, nothing launched.</summary>
    public static bool TryLaunch<TOut, TStore, TWord>(Int8Device device, ArrayView<float> x, ArrayView<TOut> y, TensorShape shape, TStore store)
        where TOut : unmanaged
        where TWord : unmanaged
        where TStore : struct, IRgbQuadStore<TOut, TWord>
    {
        long plane = (long)shape.H * shape.W;
        if (shape.C != 3 || plane % 4 != 0 || !QuantArgs.Aligned16(x) || !store.Aligned(y))
        {
            return false;
        }

        int quadsPerImage = (int)(plane / 4);
        int threads = checked(shape.N * quadsPerImage);
        var kernel = device.GetKernel("convert.rgb." + typeof(TStore).Name, a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<Float4>, ArrayView<TWord>, int, TStore>(Kernel<TOut, TStore, TWord>));
        kernel(threads, x.SubView(0, shape.Elements).Cast<Float4>(), store.Words(y.SubView(0, shape.Elements)), quadsPerImage, store);
        return true;
    }

    /// <summary>Thread t: pixels 4k..4k+3 of image n, t = n·quadsPerImage + k; output words 3t, 3t + 1, 3t + 2.</summary>
    internal static void Kernel<TOut, TStore, TWord>(Index1D t, ArrayView<Float4> x, ArrayView<TWord> y, int quadsPerImage, TStore store)
        where TOut : unmanaged
        where TWord : unmanaged
        where TStore : struct, IRgbQuadStore<TOut, TWord>
    {
        int n = t / quadsPerImage;
        int red = t + (2 * n * quadsPerImage); // (3n)·quads + k = t + 2n·quads
        Float4 a = x[red], b = x[red + quadsPerImage], c = x[red + (2 * quadsPerImage)];
        TWord w0 = store.Pack(a.X, b.X, c.X, a.Y);
        TWord w1 = store.Pack(b.Y, c.Y, a.Z, b.Z);
        TWord w2 = store.Pack(c.Z, a.W, b.W, c.W);
        y[3 * t] = w0;
        y[(3 * t) + 1] = w1;
        y[(3 * t) + 2] = w2;
    }
}

/// <summary>How the 4-pixel RGB kernel converts and packs four consecutive outputs into one store word (struct type parameter).</summary>
/// <typeparam name="TOut">The output element type.</typeparam>
/// <typeparam name="TWord">Four output elements as one store.</typeparam>
internal interface IRgbQuadStore<TOut, TWord>
    where TOut : unmanaged
    where TWord : unmanaged
{
    /// <summary>Host: whether y starts on a word boundary.</summary>
    bool Aligned(ArrayView<TOut> y);

    /// <summary>Host: y (a multiple of 4 elements long) as words.</summary>
    ArrayView<TWord> Words(ArrayView<TOut> y);

    /// <summary>Four outputs, v0 first in memory.</summary>
    TWord Pack(float v0, float v1, float v2, float v3);
}

/// <summary>Float output: four floats a 16-byte store.</summary>
internal readonly struct RgbFloat : IRgbQuadStore<float, Float4>
{
    /// <inheritdoc />
    public bool Aligned(ArrayView<float> y) => QuantArgs.Aligned16(y);

    /// <inheritdoc />
    public ArrayView<Float4> Words(ArrayView<float> y) => y.Cast<Float4>();

    /// <inheritdoc />
    public Float4 Pack(float v0, float v1, float v2, float v3)
    {
        Float4 r;
        r.X = v0;
        r.Y = v1;
        r.Z = v2;
        r.W = v3;
        return r;
    }
}

/// <summary>Int8 output: q = clamp(round_half_even(v · Inverse), −127, 127), four a 32-bit store (byte i = v_i).</summary>
/// <param name="Inverse">1/s, rounded to float on the host.</param>
internal readonly record struct RgbQuantize(float Inverse) : IRgbQuadStore<sbyte, int>
{
    /// <inheritdoc />
    public bool Aligned(ArrayView<sbyte> y) => QuantArgs.Aligned(y, 4);

    /// <inheritdoc />
    public ArrayView<int> Words(ArrayView<sbyte> y) => y.Cast<int>();

    /// <inheritdoc />
    public int Pack(float v0, float v1, float v2, float v3) =>
        Saturate.PackInt32ToInt8x4(
            QuantMath.QuantizeWithInverse(v0, Inverse),
            QuantMath.QuantizeWithInverse(v1, Inverse),
            QuantMath.QuantizeWithInverse(v2, Inverse),
            QuantMath.QuantizeWithInverse(v3, Inverse));
}

/// <summary>Four halves (round-to-nearest-even) in one 8-byte word, the first in the low bits.</summary>
internal readonly struct RgbHalf : IRgbQuadStore<ushort, long>
{
    /// <inheritdoc />
    public bool Aligned(ArrayView<ushort> y) => QuantArgs.Aligned(y, 8);

    /// <inheritdoc />
    public ArrayView<long> Words(ArrayView<ushort> y) => y.Cast<long>();

    /// <inheritdoc />
    public long Pack(float v0, float v1, float v2, float v3) =>
        (long)HalfConvert.FromFloat(v0) | ((long)HalfConvert.FromFloat(v1) << 16) | ((long)HalfConvert.FromFloat(v2) << 32) | ((long)HalfConvert.FromFloat(v3) << 48);
}
