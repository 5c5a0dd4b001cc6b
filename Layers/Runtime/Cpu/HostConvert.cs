using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Cpu;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Kernels.Tensors;

namespace ILGPUInt8.Layers.Runtime;

/// <summary>
/// The CPU backend's conversions: the engine's NCHW float inputs and outputs to and from NHWC tensors (quantized with
/// <see cref="QuantMath.Quantize"/> / dequantized with <see cref="QuantMath.Dequantize"/> for int8 ones), and the
/// element-wise quantize / dequantize between FP32 and INT8 steps, vectorised: q = clamp(round_half_even(x · (1/s)),
/// −127, 127), NaN → 0; x = q · s.
/// </summary>
internal static unsafe class HostConvert
{
    /// <summary>NCHW float at <paramref name="src"/> → tensor <paramref name="t"/> (NHWC: float, 2-byte halves or int8).</summary>
    public static void FromNchw(float* src, ExecutionContext context, PlanTensor t, TensorShape shape)
    {
        bool int8 = t.Type == DataType.Int8;
        var body = new FromNchwRanges
        {
            X = src,
            Y = int8 ? context.Pointer<sbyte>(t, shape.N) : context.Pointer<float>(t, shape.N),
            Int8 = int8,
            Half = t.Type == DataType.Half,
            Inverse = int8 ? QuantMath.Inverse(t.Scale) : 0f,
            C = shape.C,
            Hw = shape.H * shape.W,
        };
        HostStep.ForRanges((long)shape.N * body.Hw, 4096, ref body);
    }

    /// <summary>Tensor <paramref name="t"/> (NHWC, float or int8) → NCHW float at <paramref name="dst"/>.</summary>
    public static void ToNchw(ExecutionContext context, PlanTensor t, TensorShape shape, float* dst)
    {
        bool int8 = t.Type == DataType.Int8;
        var body = new ToNchwRanges
        {
            X = int8 ? context.Pointer<sbyte>(t, shape.N) : context.Pointer<float>(t, shape.N),
            Y = dst,
            Int8 = int8,
            Scale = int8 ? t.Scale : 0f,
            C = shape.C,
            Hw = shape.H * shape.W,
        };
        HostStep.ForRanges((long)shape.N * body.Hw, 4096, ref body);
    }

    /// <summary>y = Quantize(x, s) element-wise (same layout).</summary>
    public static void Quantize(float* x, sbyte* y, long count, float scale)
    {
        var body = new QuantizeRanges { X = x, Y = y, Inverse = QuantMath.Inverse(scale) };
        HostStep.ForRanges(count, 65536, ref body);
    }

    /// <summary>y = Dequantize(x, s) element-wise.</summary>
    public static void Dequantize(sbyte* x, float* y, long count, float scale)
    {
        var body = new DequantizeRanges { X = x, Y = y, Scale = scale };
        HostStep.ForRanges(count, 65536, ref body);
    }

    /// <summary>y = HalfConvert.Round(x) element-wise (the store of an FP16 step; <paramref name="x"/> may be <paramref name="y"/>).</summary>
    public static void RoundToHalf(float* x, float* y, long count) => Map(x, y, count, default(RoundHalf));

    /// <summary>y = HalfConvert.FromFloat(x) element-wise: floats to 2-byte halves (round-to-nearest-even).</summary>
    public static void PackHalf(float* x, ushort* y, long count) => Map(x, y, count, default(PackToHalf));

    /// <summary>y = HalfConvert.ToFloat(x) element-wise: 2-byte halves to floats (exact).</summary>
    public static void UnpackHalf(ushort* x, float* y, long count) => Map(x, y, count, default(WidenHalf));

    /// <summary>y = Quantize(float(x), s) element-wise from 2-byte halves.</summary>
    public static void QuantizeHalf(ushort* x, sbyte* y, long count, float scale) => Map(x, y, count, new QuantizeFromHalf(QuantMath.Inverse(scale)));

    /// <summary>y = half(q · s) element-wise to 2-byte halves.</summary>
    public static void DequantizeToHalf(sbyte* x, ushort* y, long count, float scale) => Map(x, y, count, new DequantizeToHalfMap(scale));

    // y[i] = map(x[i]) for i < count, in ranges on the worker threads.
    private static void Map<TIn, TOut, TMap>(TIn* x, TOut* y, long count, TMap map)
        where TIn : unmanaged
        where TOut : unmanaged
        where TMap : struct, IElementMap<TIn, TOut>
    {
        var body = new MapRanges<TIn, TOut, TMap> { X = x, Y = y, Map = map };
        HostStep.ForRanges(count, 65536, ref body);
    }

    /// <summary>One element's conversion (struct type parameter).</summary>
    private interface IElementMap<TIn, TOut>
        where TIn : unmanaged
        where TOut : unmanaged
    {
        TOut Apply(TIn x);
    }

    private struct MapRanges<TIn, TOut, TMap> : ICpuRangeBody
        where TIn : unmanaged
        where TOut : unmanaged
        where TMap : struct, IElementMap<TIn, TOut>
    {
        public TIn* X;
        public TOut* Y;
        public TMap Map;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Run(long i0, long i1)
        {
            for (var i = i0; i < i1; i++)
            {
                Y[i] = Map.Apply(X[i]);
            }
        }
    }

    private readonly struct RoundHalf : IElementMap<float, float>
    {
        public float Apply(float x) => HalfConvert.Round(x);
    }

    private readonly struct PackToHalf : IElementMap<float, ushort>
    {
        public ushort Apply(float x) => HalfConvert.FromFloat(x);
    }

    private readonly struct WidenHalf : IElementMap<ushort, float>
    {
        public float Apply(ushort x) => HalfConvert.ToFloat(x);
    }

    private readonly record struct QuantizeFromHalf(float Inverse) : IElementMap<ushort, sbyte>
    {
        public sbyte Apply(ushort x) => (sbyte)QuantMath.QuantizeWithInverse(HalfConvert.ToFloat(x), Inverse);
    }

    private readonly record struct DequantizeToHalfMap(float Scale) : IElementMap<sbyte, ushort>
    {
        public ushort Apply(sbyte q) => HalfConvert.FromFloat(QuantMath.Dequantize(q, Scale));
    }

    private struct FromNchwRanges : ICpuRangeBody
    {
        public float* X;
        public void* Y;
        public bool Int8;
        public bool Half;
        public float Inverse;
        public int C, Hw;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Run(long p0, long p1)
        {
            int c = C, hw = Hw;
            var p = p0;
            if (Half)
            {
                // An FP16 engine's input: each value rounded to the nearest half (RNE) as it is stored.
                for (; p < p1; p++)
                {
                    long n = p / hw, pix = p % hw;
                    float* x = X + (n * c * hw) + pix;
                    ushort* y = (ushort*)Y + (p * c);
                    for (var j = 0; j < c; j++)
                    {
                        y[j] = HalfConvert.FromFloat(x[j * hw]);
                    }
                }

                return;
            }

            if (Int8)
            {
                // 8 pixels of one image at a time: each channel's 8 floats quantized together, their bytes spread to NHWC.
                var inv = Vector256.Create(Inverse);
                while (p < p1)
                {
                    long n = p / hw, pix = p % hw;
                    long end = Math.Min(p1, (n + 1) * hw);
                    float* x = X + (n * c * hw);
                    sbyte* y = (sbyte*)Y;
                    if (c == 3 && Ssse3.IsSupported)
                    {
                        // RGB images: 8 pixels' 24 bytes from two byte shuffles, not 24 byte stores.
                        int whole = (int)((end - p) / 8 * 8);
                        Rgb8(x + pix, hw, y + (p * 3), whole, inv);
                        p += whole;
                        pix += whole;
                    }

                    for (; p + 8 <= end; p += 8, pix += 8)
                    {
                        for (var j = 0; j < c; j++)
                        {
                            long q = Quantize8(x + (j * hw) + pix, inv);
                            sbyte* d = y + (p * c) + j;
                            if (c == 1)
                            {
                                *(long*)d = q;
                                continue;
                            }

                            for (var i = 0; i < 8; i++, q >>= 8)
                            {
                                d[i * c] = (sbyte)q;
                            }
                        }
                    }

                    for (; p < end; p++, pix++)
                    {
                        for (var j = 0; j < c; j++)
                        {
                            ((sbyte*)Y)[(p * c) + j] = (sbyte)QuantMath.QuantizeWithInverse(x[(j * hw) + pix], Inverse);
                        }
                    }
                }

                return;
            }

            for (; p < p1; p++)
            {
                long n = p / hw, pix = p % hw;
                float* x = X + (n * c * hw) + pix;
                float* y = (float*)Y + (p * c);
                for (var j = 0; j < c; j++)
                {
                    y[j] = x[j * hw];
                }
            }
        }
    }

    // The 24 bytes of 8 RGB pixels from rg = [R0..R7, G0..G7] and b = [B0..B7, 0..]: output byte 3i + ch is channel ch of
    // pixel i; shuffle masks pick from rg (ch 0: i, ch 1: 8 + i) or b (ch 2: i), 0x80 (−128) writes a zero for the other.
    private static readonly Vector128<sbyte> RgLow = Vector128.Create(0, 8, -128, 1, 9, -128, 2, 10, -128, 3, 11, -128, 4, 12, -128, 5);
    private static readonly Vector128<sbyte> BLow = Vector128.Create(-128, -128, 0, -128, -128, 1, -128, -128, 2, -128, -128, 3, -128, -128, 4, -128);
    private static readonly Vector128<sbyte> RgHigh = Vector128.Create(13, -128, 6, 14, -128, 7, 15, -128, -128, -128, -128, -128, -128, -128, -128, -128);
    private static readonly Vector128<sbyte> BHigh = Vector128.Create(-128, 5, -128, -128, 6, -128, -128, 7, -128, -128, -128, -128, -128, -128, -128, -128);

    /// <summary>
    /// <paramref name="count"/> (a multiple of 8) pixels of one NCHW image with 3 channels (channel planes
    /// <paramref name="hw"/> floats apart from <paramref name="x"/>) → NHWC int8 at <paramref name="y"/>, each value
    /// QuantMath.QuantizeWithInverse(x, inverse) (as <see cref="Quantize8"/>), 8 pixels a step.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Rgb8(float* x, long hw, sbyte* y, int count, Vector256<float> inverse)
    {
        var rgLow = RgLow.AsByte();
        var bLow = BLow.AsByte();
        var rgHigh = RgHigh.AsByte();
        var bHigh = BHigh.AsByte();
        for (var i = 0; i < count; i += 8, y += 24)
        {
            var rg = Vector128.Create(Quantize8(x + i, inverse), Quantize8(x + hw + i, inverse)).AsByte();
            var b = Vector128.CreateScalar(Quantize8(x + (2 * hw) + i, inverse)).AsByte();
            (Ssse3.Shuffle(rg, rgLow) | Ssse3.Shuffle(b, bLow)).Store((byte*)y);
            *(long*)(y + 16) = (Ssse3.Shuffle(rg, rgHigh) | Ssse3.Shuffle(b, bHigh)).AsInt64().ToScalar();
        }
    }

    /// <summary>8 floats → 8 int8 as QuantMath.QuantizeWithInverse (NaN → 0, round half to even, saturate to ±127), packed in a long.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long Quantize8(float* x, Vector256<float> inverse)
    {
        var v = Vector256.Load(x) * inverse;
        v = Vector256.ConditionalSelect(Vector256.Equals(v, v), v, Vector256<float>.Zero);
        // vmaxps/vminps where AVX runs (v is no NaN here and ±0 both give 0): Vector256.Max/Min follow IEEE maximum,
        // a longer sequence for NaN and −0.
        var r = Vector256.Round(v);
        var q = Vector256.ConvertToInt32(Avx.IsSupported
            ? Avx.Min(Avx.Max(r, Vector256.Create(-127f)), Vector256.Create(127f))
            : Vector256.Min(Vector256.Max(r, Vector256.Create(-127f)), Vector256.Create(127f)));
        return Vector256.Narrow(Vector256.Narrow(q, q), Vector256.Narrow(q, q)).AsInt64().ToScalar();
    }

    private struct ToNchwRanges : ICpuRangeBody
    {
        public void* X;
        public float* Y;
        public bool Int8;
        public float Scale;
        public int C, Hw;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Run(long p0, long p1)
        {
            int c = C, hw = Hw;
            for (var p = p0; p < p1; p++)
            {
                long n = p / hw, pix = p % hw;
                float* y = Y + (n * c * hw) + pix;
                for (var j = 0; j < c; j++)
                {
                    y[j * hw] = Int8 ? QuantMath.Dequantize(((sbyte*)X)[(p * c) + j], Scale) : ((float*)X)[(p * c) + j];
                }
            }
        }
    }

    private struct QuantizeRanges : ICpuRangeBody
    {
        public float* X;
        public sbyte* Y;
        public float Inverse;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Run(long i0, long i1)
        {
            float* a = X;
            sbyte* b = Y;
            var inv = Vector256.Create(Inverse);
            long i = i0;
            for (; i + 8 <= i1; i += 8)
            {
                // NaN → 0, then round half to even and saturate (±Inf → ±127).
                *(long*)(b + i) = Quantize8(a + i, inv);
            }

            for (; i < i1; i++)
            {
                b[i] = (sbyte)QuantMath.QuantizeWithInverse(a[i], Inverse);
            }
        }
    }

    private struct DequantizeRanges : ICpuRangeBody
    {
        public sbyte* X;
        public float* Y;
        public float Scale;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Run(long i0, long i1)
        {
            for (var i = i0; i < i1; i++)
            {
                Y[i] = QuantMath.Dequantize(X[i], Scale);
            }
        }
    }
}
