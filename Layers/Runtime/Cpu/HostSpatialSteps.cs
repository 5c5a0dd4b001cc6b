using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Quantization;

namespace ILGPUInt8.Layers;

/// <summary>
/// Pooling on the CPU backend, NHWC, one output pixel's channels at a time (max vectorised over channels): windows as the
/// references' (PyTorch: start = o·stride − pad, end = min(start + window, size + pad), both clipped); FP32 max / average
/// (sum in window order / count); INT8 max (same scale) or average (int32 sum requantized by m[divisor]).
/// </summary>
internal sealed unsafe class HostPoolingStep : HostStep
{
    private readonly PoolingLayer _layer;
    private readonly float[] _multipliers = [];

    public HostPoolingStep(Engine engine, PlanNode node)
        : base(engine, node)
    {
        _layer = (PoolingLayer)node.Layer;
        if (node.Int8 && _layer.Mode != PoolingMode.Max)
        {
            var p = _layer.Problem(1, Input().Dims);
            _multipliers = Pooling.AverageMultipliers(Input().Scale, Output.Scale, p.R * p.S);
        }
    }

    public override void Run(ExecutionContext context, int batch)
    {
        var p = _layer.Problem(batch, Input().Dims);
        var mode = _layer.Mode;
        bool int8 = Node.Int8;
        nint x = int8 ? (nint)context.Pointer<sbyte>(Input(), batch) : (nint)context.Pointer<float>(Input(), batch);
        nint y = int8 ? (nint)context.Pointer<sbyte>(Output, batch) : (nint)context.Pointer<float>(Output, batch);
        int c = p.C;
        ForRanges((long)p.N * p.P * p.Q, 256, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (o0, o1) =>
        {
            var sums = ArrayPool<float>.Shared.Rent(c);
            var isums = ArrayPool<int>.Shared.Rent(c);
            try
            {
                for (var o = o0; o < o1; o++)
                {
                    int n = (int)(o / (p.P * p.Q)), oh = (int)(o / p.Q % p.P), ow = (int)(o % p.Q);
                    int hs = (oh * p.StrideH) - p.PadH, ws = (ow * p.StrideW) - p.PadW;
                    int he = Math.Min(hs + p.R, p.H + p.PadBottom), we = Math.Min(ws + p.S, p.W + p.PadRight);
                    int padded = (he - hs) * (we - ws);
                    int h0 = Math.Max(hs, 0), h1 = Math.Min(he, p.H), w0 = Math.Max(ws, 0), w1 = Math.Min(we, p.W);
                    int valid = (h1 - h0) * (w1 - w0);
                    long inBase = (long)n * p.H * p.W;
                    if (int8)
                    {
                        Int8((sbyte*)x, (sbyte*)y + (o * c), c, inBase, p.W, h0, h1, w0, w1, mode, mode == PoolingMode.AverageCountPadding ? padded : valid, isums);
                    }
                    else
                    {
                        Float((float*)x, (float*)y + (o * c), c, inBase, p.W, h0, h1, w0, w1, mode, mode == PoolingMode.AverageCountPadding ? padded : valid, sums);
                    }
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(sums);
                ArrayPool<int>.Shared.Return(isums);
            }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Float(float* x, float* y, int c, long inBase, int width, int h0, int h1, int w0, int w1, PoolingMode mode, int divisor, float[] sums)
    {
        if (mode == PoolingMode.Max)
        {
            new Span<float>(y, c).Fill(float.NegativeInfinity);
            for (var h = h0; h < h1; h++)
            {
                for (var w = w0; w < w1; w++)
                {
                    float* src = x + ((inBase + ((long)h * width) + w) * c);
                    int j = 0;
                    for (; j + 8 <= c; j += 8)
                    {
                        var v = Vector256.Load(src + j);
                        var m = Vector256.Load(y + j);
                        Vector256.ConditionalSelect(Vector256.GreaterThan(v, m), v, m).Store(y + j);
                    }

                    for (; j < c; j++)
                    {
                        y[j] = src[j] > y[j] ? src[j] : y[j];
                    }
                }
            }

            return;
        }

        Array.Clear(sums, 0, c);
        for (var h = h0; h < h1; h++)
        {
            for (var w = w0; w < w1; w++)
            {
                float* src = x + ((inBase + ((long)h * width) + w) * c);
                for (var j = 0; j < c; j++)
                {
                    sums[j] += src[j];
                }
            }
        }

        for (var j = 0; j < c; j++)
        {
            y[j] = sums[j] / divisor;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Int8(sbyte* x, sbyte* y, int c, long inBase, int width, int h0, int h1, int w0, int w1, PoolingMode mode, int divisor, int[] sums)
    {
        if (mode == PoolingMode.Max)
        {
            new Span<sbyte>(y, c).Fill(sbyte.MinValue);
            for (var h = h0; h < h1; h++)
            {
                for (var w = w0; w < w1; w++)
                {
                    sbyte* src = x + ((inBase + ((long)h * width) + w) * c);
                    int j = 0;
                    for (; j + 32 <= c; j += 32)
                    {
                        Vector256.Max(Vector256.Load(src + j), Vector256.Load(y + j)).Store(y + j);
                    }

                    for (; j + 16 <= c; j += 16)
                    {
                        Vector128.Max(Vector128.Load(src + j), Vector128.Load(y + j)).Store(y + j);
                    }

                    for (; j < c; j++)
                    {
                        y[j] = Math.Max(src[j], y[j]);
                    }
                }
            }

            return;
        }

        Array.Clear(sums, 0, c);
        for (var h = h0; h < h1; h++)
        {
            for (var w = w0; w < w1; w++)
            {
                sbyte* src = x + ((inBase + ((long)h * width) + w) * c);
                for (var j = 0; j < c; j++)
                {
                    sums[j] += src[j];
                }
            }
        }

        float m = _multipliers[divisor];
        for (var j = 0; j < c; j++)
        {
            y[j] = (sbyte)QuantMath.Requantize(sums[j], 0, m, -127);
        }
    }
}

/// <summary>Constant spatial padding on the CPU backend (NHWC; an INT8 value is the quantized float value).</summary>
internal sealed unsafe class HostPaddingStep(Engine engine, PlanNode node) : HostStep(engine, node)
{
    public override void Run(ExecutionContext context, int batch)
    {
        var l = (PaddingLayer)Node.Layer;
        if (Node.Int8)
        {
            Pad(context.Pointer<sbyte>(Input(), batch), context.Pointer<sbyte>(Output, batch), batch, l, (sbyte)QuantMath.Quantize(l.Value, Output.Scale));
        }
        else
        {
            Pad(context.Pointer<float>(Input(), batch), context.Pointer<float>(Output, batch), batch, l, l.Value);
        }
    }

    private void Pad<T>(T* x, T* y, int batch, PaddingLayer l, T value)
        where T : unmanaged
    {
        var d = Input().Dims;
        int c = d.C, top = l.PrePadding.H, left = l.PrePadding.W, oh = Output.Dims.H, ow = Output.Dims.W;
        nint xs = (nint)x, ys = (nint)y;
        ForRanges((long)batch * oh, 64, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (r0, r1) =>
        {
            for (var r = r0; r < r1; r++)
            {
                int n = (int)(r / oh), h = (int)(r % oh) - top;
                var row = new Span<T>((T*)ys + (r * ow * c), ow * c);
                row.Fill(value);
                if (h >= 0 && h < d.H)
                {
                    new ReadOnlySpan<T>((T*)xs + ((((long)n * d.H) + h) * d.W * c), d.W * c).CopyTo(row.Slice(left * c, d.W * c));
                }
            }
        });
    }
}

/// <summary>
/// Reshape / flatten on the CPU backend: nothing for a view, else the NHWC copy with C-order semantics: output (n, c₂, h₂,
/// w₂) reads input (n, f / (H₁W₁), (f / W₁) mod H₁, f mod W₁), f = (c₂·H₂ + h₂)·W₂ + w₂.
/// </summary>
internal sealed unsafe class HostReshapeStep(Engine engine, PlanNode node) : HostStep(engine, node)
{
    public override void Run(ExecutionContext context, int batch)
    {
        if (Node.IsView)
        {
            return;
        }

        if (Node.Int8)
        {
            Copy(context.Pointer<sbyte>(Input(), batch), context.Pointer<sbyte>(Output, batch), batch);
        }
        else
        {
            Copy(context.Pointer<float>(Input(), batch), context.Pointer<float>(Output, batch), batch);
        }
    }

    private void Copy<T>(T* x, T* y, int batch)
        where T : unmanaged
    {
        TensorDims a = Input().Dims, b = Output.Dims;
        long volume = b.Volume;
        nint xs = (nint)x, ys = (nint)y;
        ForRanges(batch * volume, 65536, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (i0, i1) =>
        {
            for (var i = i0; i < i1; i++)
            {
                long n = i / volume, e = i % volume;
                int c2 = (int)(e % b.C), w2 = (int)(e / b.C % b.W), h2 = (int)(e / b.C / b.W);
                long f = (((long)c2 * b.H) + h2) * b.W + w2;
                long c1 = f / a.Plane, h1 = f / a.W % a.H, w1 = f % a.W;
                ((T*)ys)[i] = ((T*)xs)[(n * volume) + (((h1 * a.W) + w1) * a.C) + c1];
            }
        });
    }
}

/// <summary>
/// Concatenation on the CPU backend, seen as [outer, length, inner] along the layer's axis (<see cref="TensorDims.Nhwc"/>):
/// per outer index, one block of length_i·inner values per input (INT8 requantized to the output scale).
/// </summary>
internal sealed unsafe class HostConcatStep(Engine engine, PlanNode node) : HostStep(engine, node)
{
    public override void Run(ExecutionContext context, int batch)
    {
        var axis = ((ConcatenationLayer)Node.Layer).Axis;
        var (pixels, length, inner) = Output.Dims.Nhwc(axis, batch);
        int total = length * inner, offset = 0;
        for (var i = 0; i < Node.Inputs.Count; i++)
        {
            var t = Input(i);
            int c = t.Dims.Size(axis) * inner, o = offset;
            bool constant = t.Constant is not null;
            long items = t.Dims.Nhwc(axis, 1).Outer;
            if (Node.Int8)
            {
                nint x = (nint)context.Pointer<sbyte>(t, batch), y = (nint)context.Pointer<sbyte>(Output, batch);
                float m = Int8ElementWise.RatioMultiplier(t.Scale, Output.Scale);
                ForRanges(pixels, 1024, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (p0, p1) =>
                {
                    for (var p = p0; p < p1; p++)
                    {
                        sbyte* src = (sbyte*)x + ((constant ? p % items : p) * c), dst = (sbyte*)y + (p * total) + o;
                        for (var j = 0; j < c; j++)
                        {
                            dst[j] = (sbyte)QuantMath.Requantize(src[j], 0, m, -127);
                        }
                    }
                });
            }
            else
            {
                nint x = (nint)context.Pointer<float>(t, batch), y = (nint)context.Pointer<float>(Output, batch);
                ForRanges(pixels, 1024, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (p0, p1) =>
                {
                    for (var p = p0; p < p1; p++)
                    {
                        new ReadOnlySpan<float>((float*)x + ((constant ? p % items : p) * c), c).CopyTo(new Span<float>((float*)y + (p * total) + o, c));
                    }
                });
            }

            offset += c;
        }
    }
}
