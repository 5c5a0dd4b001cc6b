using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Kernels.Tensors;

namespace ILGPUInt8.Kernels.Ops;

/// <summary>
/// Data-type and layout conversion of a whole tensor (the reformat layers at precision and engine boundaries):
/// quantize q = clamp(round_half_even(x · (1/s)), −127, 127) (<see cref="QuantMath.Quantize"/>, 1/s rounded on the host),
/// dequantize x = q · s, a float copy, or float to 2-byte halves; from NCHW or NHWC to NCHW or NHWC.
/// <para>
/// Same layout (or a layout change that moves nothing: H = W = 1 or C = 1): the vectorised kernels of
/// <see cref="Quantizer"/> and <see cref="Dequantizer"/> (16 / 8 elements a thread, 16-byte accesses) or a device copy.
/// NCHW → NHWC with C = 3 (network images) and H·W a multiple of 4: one thread converts 4 consecutive pixels, reading one
/// 16-byte <see cref="Float4"/> from each of the 3 channel planes and writing the 12 interleaved outputs as 3 words
/// (int8) or 3 <see cref="Float4"/> (float), so both sides are coalesced. Other layout changes: one thread an element.
/// </para>
/// </summary>
public static class Convert
{
    /// <summary>Float → float with a layout change.</summary>
    public static void Float(Int8Device device, ArrayView<float> x, TensorFormat from, ArrayView<float> y, TensorFormat to, TensorShape shape) =>
        Dispatch(device, x, from, y, to, shape, default(FloatCopy));

    /// <summary>Float → int8 (quantize with scale <paramref name="scale"/>), with a layout change.</summary>
    public static void Quantize(Int8Device device, ArrayView<float> x, TensorFormat from, ArrayView<sbyte> y, TensorFormat to, TensorShape shape, float scale)
    {
        OpArgs.Scale(scale, nameof(scale));
        Dispatch(device, x, from, y, to, shape, new QuantizeElement(QuantMath.Inverse(scale)));
    }

    /// <summary>
    /// Float → 2-byte halves (round-to-nearest-even, <see cref="HalfConvert.FromFloat"/>), with a layout change: an FP16
    /// engine's input in one pass.
    /// </summary>
    public static void ToHalf(Int8Device device, ArrayView<float> x, TensorFormat from, ArrayView<ushort> y, TensorFormat to, TensorShape shape) =>
        Dispatch(device, x, from, y, to, shape, default(HalfElement));

    /// <summary>Int8 → float (dequantize with scale <paramref name="scale"/>), with a layout change.</summary>
    public static void Dequantize(Int8Device device, ArrayView<sbyte> x, TensorFormat from, ArrayView<float> y, TensorFormat to, TensorShape shape, float scale)
    {
        OpArgs.Scale(scale, nameof(scale));
        Dispatch(device, x, from, y, to, shape, new DequantizeElement(scale));
    }

    private static void Dispatch<TIn, TOut, TConv>(Int8Device device, ArrayView<TIn> x, TensorFormat from, ArrayView<TOut> y, TensorFormat to, TensorShape shape, TConv conv)
        where TIn : unmanaged
        where TOut : unmanaged
        where TConv : struct, IElementConvert<TIn, TOut>
    {
        ArgumentNullException.ThrowIfNull(device);
        shape.Validate(nameof(shape));
        if (from is not (TensorFormat.NCHW or TensorFormat.NHWC) || to is not (TensorFormat.NCHW or TensorFormat.NHWC))
        {
            throw new ArgumentException($"Conversion {from} → {to} is not supported (NCHW and NHWC only).", nameof(to));
        }

        OpArgs.AtLeast(x.Length, shape.Elements, nameof(x));
        OpArgs.AtLeast(y.Length, shape.Elements, nameof(y));
        var args = new ConvertArgs(shape.C, shape.H, shape.W);
        int count = (int)shape.Elements;
        if (from == to || (shape.H == 1 && shape.W == 1) || shape.C == 1)
        {
            conv.Same(device, x.SubView(0, count), y.SubView(0, count));
        }
        else if (from == TensorFormat.NCHW && shape.C == 3 && conv.RgbQuads(device, x, y, shape))
        {
            // Launched by the element conversion's own 4-pixel kernel.
        }
        else if (from == TensorFormat.NCHW)
        {
            Load<TIn, TOut, NchwLayout, NhwcLayout, TConv>(device)(count, x, y, args, conv);
        }
        else
        {
            Load<TIn, TOut, NhwcLayout, NchwLayout, TConv>(device)(count, x, y, args, conv);
        }
    }

    private static Action<Index1D, ArrayView<TIn>, ArrayView<TOut>, ConvertArgs, TConv> Load<TIn, TOut, TSrc, TDst, TConv>(Int8Device device)
        where TIn : unmanaged
        where TOut : unmanaged
        where TSrc : struct, ILayout
        where TDst : struct, ILayout
        where TConv : struct, IElementConvert<TIn, TOut> =>
        device.GetKernel($"convert.{typeof(TSrc).Name}.{typeof(TDst).Name}.{typeof(TConv).Name}", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<TIn>, ArrayView<TOut>, ConvertArgs, TConv>(PermuteKernel<TIn, TOut, TSrc, TDst, TConv>));

    /// <summary>Thread i enumerates (n, c, h, w) in NCHW order: y[TDst(n,c,h,w)] = convert(x[TSrc(n,c,h,w)]).</summary>
    internal static void PermuteKernel<TIn, TOut, TSrc, TDst, TConv>(Index1D i, ArrayView<TIn> x, ArrayView<TOut> y, ConvertArgs a, TConv conv)
        where TIn : unmanaged
        where TOut : unmanaged
        where TSrc : struct, ILayout
        where TDst : struct, ILayout
        where TConv : struct, IElementConvert<TIn, TOut>
    {
        int w = i % a.W;
        int h = (i / a.W) % a.H;
        int c = (i / (a.W * a.H)) % a.C;
        int n = i / (a.W * a.H * a.C);
        y[default(TDst).Offset(n, c, h, w, a.C, a.H, a.W)] = conv.Convert(x[default(TSrc).Offset(n, c, h, w, a.C, a.H, a.W)]);
    }

    /// <summary>Kernel arguments.</summary>
    internal readonly record struct ConvertArgs(int C, int H, int W);

    /// <summary>One element's conversion (struct type parameter).</summary>
    internal interface IElementConvert<TIn, TOut>
        where TIn : unmanaged
        where TOut : unmanaged
    {
        /// <summary>The converted value.</summary>
        TOut Convert(TIn x);

        /// <summary>Host: launches y[i] = convert(x[i]) for the whole of both views (same length).</summary>
        void Same(Int8Device device, ArrayView<TIn> x, ArrayView<TOut> y);

        /// <summary>
        /// Host: launches NCHW → NHWC of a C = 3 tensor four pixels a thread and returns true, or returns false (nothing
        /// launched) when this conversion or the shape/alignment has no such kernel.
        /// </summary>
        bool RgbQuads(Int8Device device, ArrayView<TIn> x, ArrayView<TOut> y, TensorShape shape);
    }

    /// <summary>y = x.</summary>
    internal readonly struct FloatCopy : IElementConvert<float, float>
    {
        /// <inheritdoc />
        public float Convert(float x) => x;

        /// <inheritdoc />
        public void Same(Int8Device device, ArrayView<float> x, ArrayView<float> y) => x.CopyTo(y);

        /// <inheritdoc />
        public bool RgbQuads(Int8Device device, ArrayView<float> x, ArrayView<float> y, TensorShape shape) =>
            ConvertRgb.TryLaunch<float, RgbFloat, Float4>(device, x, y, shape, default);
    }

    /// <summary>q = clamp(round_half_even(x · inverse), −127, 127).</summary>
    internal readonly record struct QuantizeElement(float Inverse) : IElementConvert<float, sbyte>
    {
        /// <inheritdoc />
        public sbyte Convert(float x) => (sbyte)QuantMath.QuantizeWithInverse(x, Inverse);

        /// <inheritdoc />
        public void Same(Int8Device device, ArrayView<float> x, ArrayView<sbyte> y) =>
            Quantizer.Launch(device, x, y, new TensorScale(Inverse));

        /// <inheritdoc />
        public bool RgbQuads(Int8Device device, ArrayView<float> x, ArrayView<sbyte> y, TensorShape shape) =>
            ConvertRgb.TryLaunch<sbyte, RgbQuantize, int>(device, x, y, shape, new RgbQuantize(Inverse));
    }

    /// <summary>h = half_RNE(x).</summary>
    internal readonly struct HalfElement : IElementConvert<float, ushort>
    {
        /// <inheritdoc />
        public ushort Convert(float x) => HalfConvert.FromFloat(x);

        /// <inheritdoc />
        public void Same(Int8Device device, ArrayView<float> x, ArrayView<ushort> y) => HalfPack.Run(device, x, y, x.Length);

        /// <inheritdoc />
        public bool RgbQuads(Int8Device device, ArrayView<float> x, ArrayView<ushort> y, TensorShape shape) =>
            ConvertRgb.TryLaunch<ushort, RgbHalf, long>(device, x, y, shape, default);
    }

    /// <summary>x = q · s.</summary>
    internal readonly record struct DequantizeElement(float Scale) : IElementConvert<sbyte, float>
    {
        /// <inheritdoc />
        public float Convert(sbyte q) => QuantMath.Dequantize(q, Scale);

        /// <inheritdoc />
        public void Same(Int8Device device, ArrayView<sbyte> x, ArrayView<float> y) =>
            Dequantizer.Launch(device, x, y, new TensorScale(Scale));

        /// <inheritdoc />
        public bool RgbQuads(Int8Device device, ArrayView<sbyte> x, ArrayView<float> y, TensorShape shape) => false;
    }
}
