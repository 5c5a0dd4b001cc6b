using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ILGPU;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Kernels.Tensors;

namespace ILGPUInt8.Layers;

/// <summary>
/// The CPU backend's conversions: the engine's NCHW float inputs and outputs to and from NHWC tensors (quantized with
/// <see cref="QuantMath.Quantize"/> / dequantized with <see cref="QuantMath.Dequantize"/> for int8 ones), and the
/// element-wise quantize / dequantize between FP32 and INT8 steps, vectorised: q = clamp(round_half_even(x · (1/s)),
/// −127, 127), NaN → 0; x = q · s.
/// </summary>
internal static unsafe class HostConvert
{
    /// <summary>NCHW float at <paramref name="src"/> → tensor <paramref name="t"/> (NHWC, float or int8).</summary>
    public static void FromNchw(ArrayView<float> src, ExecutionContext context, PlanTensor t, TensorShape shape)
    {
        nint s = (nint)ExecutionContext.Pointer(src), d = t.Type == DataType.Int8 ? (nint)context.Pointer<sbyte>(t, shape.N) : (nint)context.Pointer<float>(t, shape.N);
        bool int8 = t.Type == DataType.Int8;
        float inverse = int8 ? QuantMath.Inverse(t.Scale) : 0f;
        int c = shape.C, hw = shape.H * shape.W;
        HostStep.ForRanges((long)shape.N * hw, 4096, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (p0, p1) =>
        {
            for (var p = p0; p < p1; p++)
            {
                long n = p / hw, pix = p % hw;
                float* x = (float*)s + (n * c * hw) + pix;
                if (int8)
                {
                    sbyte* y = (sbyte*)d + (p * c);
                    for (var j = 0; j < c; j++)
                    {
                        y[j] = (sbyte)QuantMath.QuantizeWithInverse(x[j * hw], inverse);
                    }
                }
                else
                {
                    float* y = (float*)d + (p * c);
                    for (var j = 0; j < c; j++)
                    {
                        y[j] = x[j * hw];
                    }
                }
            }
        });
    }

    /// <summary>Tensor <paramref name="t"/> (NHWC, float or int8) → NCHW float at <paramref name="dst"/>.</summary>
    public static void ToNchw(ExecutionContext context, PlanTensor t, TensorShape shape, ArrayView<float> dst)
    {
        bool int8 = t.Type == DataType.Int8;
        nint s = int8 ? (nint)context.Pointer<sbyte>(t, shape.N) : (nint)context.Pointer<float>(t, shape.N), d = (nint)ExecutionContext.Pointer(dst);
        float scale = int8 ? t.Scale : 0f;
        int c = shape.C, hw = shape.H * shape.W;
        HostStep.ForRanges((long)shape.N * hw, 4096, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (p0, p1) =>
        {
            for (var p = p0; p < p1; p++)
            {
                long n = p / hw, pix = p % hw;
                float* y = (float*)d + (n * c * hw) + pix;
                for (var j = 0; j < c; j++)
                {
                    y[j * hw] = int8 ? QuantMath.Dequantize(((sbyte*)s)[(p * c) + j], scale) : ((float*)s)[(p * c) + j];
                }
            }
        });
    }

    /// <summary>y = Quantize(x, s) element-wise (same layout).</summary>
    public static void Quantize(float* x, sbyte* y, long count, float scale)
    {
        nint xs = (nint)x, ys = (nint)y;
        float inverse = QuantMath.Inverse(scale);
        HostStep.ForRanges(count, 65536, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (i0, i1) =>
        {
            float* a = (float*)xs;
            sbyte* b = (sbyte*)ys;
            var inv = Vector256.Create(inverse);
            var lo = Vector256.Create(-127f);
            var hi = Vector256.Create(127f);
            long i = i0;
            for (; i + 8 <= i1; i += 8)
            {
                // NaN → 0, then round half to even and saturate (±Inf → ±127).
                var v = Vector256.Load(a + i) * inv;
                v = Vector256.ConditionalSelect(Vector256.Equals(v, v), v, Vector256<float>.Zero);
                var q = Vector256.ConvertToInt32(Vector256.Min(Vector256.Max(Vector256.Round(v), lo), hi));
                *(long*)(b + i) = Vector256.Narrow(Vector256.Narrow(q, q), Vector256.Narrow(q, q)).AsInt64().ToScalar();
            }

            for (; i < i1; i++)
            {
                b[i] = (sbyte)QuantMath.QuantizeWithInverse(a[i], inverse);
            }
        });
    }

    /// <summary>y = Dequantize(x, s) element-wise.</summary>
    public static void Dequantize(sbyte* x, float* y, long count, float scale)
    {
        nint xs = (nint)x, ys = (nint)y;
        HostStep.ForRanges(count, 65536, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (i0, i1) =>
        {
            for (var i = i0; i < i1; i++)
            {
                ((float*)ys)[i] = QuantMath.Dequantize(((sbyte*)xs)[i], scale);
            }
        });
    }
}
