using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ILGPUInt8.Kernels.Ops;

namespace ILGPUInt8.Layers;

/// <summary>Activation on the CPU backend: INT8 the exact 256-entry table from s_in to s_out; FP32 f(x) (ReLU vectorised).</summary>
internal sealed unsafe class HostActivationStep : HostStep
{
    private readonly sbyte[]? _lut;

    public HostActivationStep(Engine engine, PlanNode node)
        : base(engine, node)
    {
        if (node.Int8)
        {
            _lut = Int8LookupTable.ForActivation(((ActivationLayer)node.Layer).Activation, Input().Scale, Output.Scale);
        }
    }

    public override void Run(ExecutionContext context, int batch)
    {
        long count = Elements(Output, batch);
        if (_lut is { } lut)
        {
            nint x = (nint)context.Pointer<sbyte>(Input(), batch), y = (nint)context.Pointer<sbyte>(Output, batch);
            ForRanges(count, 65536, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (i0, i1) =>
            {
                for (var i = i0; i < i1; i++)
                {
                    ((sbyte*)y)[i] = lut[((sbyte*)x)[i] + 128];
                }
            });
            return;
        }

        var act = ((ActivationLayer)Node.Layer).Activation;
        nint xf = (nint)context.Pointer<float>(Input(), batch), yf = (nint)context.Pointer<float>(Output, batch);
        ForRanges(count, 32768, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (i0, i1) => Apply((float*)xf, (float*)yf, i0, i1, act));
    }

    /// <summary>y[i] = act(x[i]) for i in [i0, i1) (ReLU as max(x, 0) 8 lanes at a time).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Apply(float* x, float* y, long i0, long i1, ActivationSpec act)
    {
        var i = i0;
        if (act.Kind == ActivationKind.Relu)
        {
            for (; i + 8 <= i1; i += 8)
            {
                Vector256.Max(Vector256.Load(x + i), Vector256<float>.Zero).Store(y + i);
            }
        }

        for (; i < i1; i++)
        {
            y[i] = act.Apply(x[i]);
        }
    }
}

/// <summary>
/// Element-wise binary on the CPU backend, b repeating with index i mod len(b) (a constant is one item): FP32 f(a op b);
/// INT8 the integer formulas of <see cref="Int8ElementWise"/> (sum vectorised in int64 lanes is not worth it here: the
/// scalar formula is used as is).
/// </summary>
internal sealed unsafe class HostElementWiseStep(Engine engine, PlanNode node) : HostStep(engine, node)
{
    public override void Run(ExecutionContext context, int batch)
    {
        var op = ((ElementWiseLayer)Node.Layer).Operation;
        long count = Elements(Output, batch), bLength = Elements(Input(1), batch);
        if (Node.Int8)
        {
            nint a = (nint)context.Pointer<sbyte>(Input(0), batch), b = (nint)context.Pointer<sbyte>(Input(1), batch), y = (nint)context.Pointer<sbyte>(Output, batch);
            float sa = Input(0).Scale, sb = Input(1).Scale, sy = Output.Scale;
            int lo = Node.Fused.Kind == ActivationKind.Relu ? 0 : -127;
            var (ma, mb, shift) = Int8ElementWise.SumParameters(sa, sb, sy);
            float pm = Int8ElementWise.ProductMultiplier(sa, sb, sy), ra = Int8ElementWise.RatioMultiplier(sa, sy), rb = Int8ElementWise.RatioMultiplier(sb, sy);
            ForRanges(count, 32768, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (i0, i1) =>
            {
                var i = i0;
                if (op == ElementWiseOperation.Sum && bLength == count && Avx.IsSupported && Math.Max(Math.Abs(ma), Math.Abs(mb)) <= 1L << 40)
                {
                    i = HostInt8Sum.Run((sbyte*)a, (sbyte*)b, (sbyte*)y, i0, i1, ma, mb, shift, lo);
                }

                for (; i < i1; i++)
                {
                    int u = ((sbyte*)a)[i], v = ((sbyte*)b)[i % bLength];
                    ((sbyte*)y)[i] = (sbyte)(op switch
                    {
                        ElementWiseOperation.Sum => Int8ElementWise.Sum(u, v, ma, mb, shift, lo),
                        ElementWiseOperation.Product => Int8ElementWise.Product(u, v, pm, lo),
                        _ => Int8ElementWise.Max(u, v, ra, rb, lo),
                    });
                }
            });
            return;
        }

        nint fa = (nint)context.Pointer<float>(Input(0), batch), fb = (nint)context.Pointer<float>(Input(1), batch), fy = (nint)context.Pointer<float>(Output, batch);
        var act = Node.Fused;
        ForRanges(count, 32768, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (i0, i1) =>
        {
            float* x = (float*)fa, z = (float*)fb, y = (float*)fy;
            var i = i0;
            if (bLength == count && op == ElementWiseOperation.Sum && (act.IsNone || act.Kind == ActivationKind.Relu))
            {
                for (; i + 8 <= i1; i += 8)
                {
                    var v = Vector256.Load(x + i) + Vector256.Load(z + i);
                    (act.IsNone ? v : Vector256.Max(v, Vector256<float>.Zero)).Store(y + i);
                }
            }

            for (; i < i1; i++)
            {
                float u = x[i], v = z[i % bLength];
                y[i] = act.Apply(op switch
                {
                    ElementWiseOperation.Sum => u + v,
                    ElementWiseOperation.Product => u * v,
                    _ => u > v ? u : v,
                });
            }
        });
    }
}

/// <summary>The integer sum of <see cref="Int8ElementWise.Sum"/>, 8 elements at a time in double lanes.</summary>
internal static unsafe class HostInt8Sum
{
    /// <summary>
    /// y = clamp((a·M_a + b·M_b + 2^(k−1)) >> k, lo, 127) for i in [i0, end of the last whole group of 8): computed as
    /// floor((a·M_a + b·M_b + 2^(k−1)) · 2^−k) in double, exact because |a·M_a + b·M_b| &lt; 2^39 &lt; 2^53 (M ≤ 2^30) and a
    /// power-of-two scale is exact, so it equals the int64 shift (a floor) bit for bit. Returns where it stopped.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static long Run(sbyte* a, sbyte* b, sbyte* y, long i0, long i1, long ma, long mb, int shift, int lo)
    {
        var vma = Vector256.Create((double)ma);
        var vmb = Vector256.Create((double)mb);
        var half = Vector256.Create(shift > 0 ? Math.ScaleB(1.0, shift - 1) : 0.0);
        var inverse = Vector256.Create(Math.ScaleB(1.0, -shift));
        var vlo = Vector256.Create((double)lo);
        var vhi = Vector256.Create(127.0);
        var i = i0;
        for (; i + 8 <= i1; i += 8)
        {
            var wa = Vector128.WidenLower(Vector128.CreateScalar(*(long*)(a + i)).AsSByte());
            var wb = Vector128.WidenLower(Vector128.CreateScalar(*(long*)(b + i)).AsSByte());
            var lo4 = Quarter(Vector128.WidenLower(wa), Vector128.WidenLower(wb), vma, vmb, half, inverse, vlo, vhi);
            var hi4 = Quarter(Vector128.WidenUpper(wa), Vector128.WidenUpper(wb), vma, vmb, half, inverse, vlo, vhi);
            var shorts = Vector128.Narrow(lo4, hi4);
            *(long*)(y + i) = Vector128.Narrow(shorts, shorts).AsInt64().ToScalar();
        }

        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> Quarter(Vector128<int> a, Vector128<int> b, Vector256<double> ma, Vector256<double> mb, Vector256<double> half, Vector256<double> inverse, Vector256<double> lo, Vector256<double> hi)
    {
        var v = (Avx.ConvertToVector256Double(a) * ma) + (Avx.ConvertToVector256Double(b) * mb);
        var q = Vector256.Floor((v + half) * inverse);
        return Avx.ConvertToVector128Int32WithTruncation(Vector256.Min(Vector256.Max(q, lo), hi));
    }
}

/// <summary>FP32 scale on the CPU backend: y = (x·scale[j] + shift[j])^power[j], j = i mod count (parameters in NHWC order).</summary>
internal sealed unsafe class HostScaleStep : HostStep
{
    private readonly float[] _scale;
    private readonly float[] _shift;
    private readonly float[] _power;
    private readonly bool _hasPower;

    public HostScaleStep(Engine engine, PlanNode node)
        : base(engine, node)
    {
        var layer = (ScaleLayer)node.Layer;
        var d = Input().Dims;
        var count = (int)ScaleLayer.Count(layer.Mode, d);
        float[] Prepare(float[]? values, float fallback)
        {
            var v = values ?? Enumerable.Repeat(fallback, count).ToArray();
            return layer.Mode == ScaleMode.Elementwise ? WeightLayout.ChwToHwc<float>(v, d.C, d.H, d.W) : v;
        }

        _scale = Prepare(layer.ScaleArray, 1f);
        _shift = Prepare(layer.ShiftArray, 0f);
        _hasPower = layer.HasPower;
        _power = Prepare(layer.PowerArray, 1f);
    }

    public override void Run(ExecutionContext context, int batch)
    {
        nint x = (nint)context.Pointer<float>(Input(), batch), y = (nint)context.Pointer<float>(Output, batch);
        int count = _scale.Length;
        ForRanges(Elements(Output, batch), 32768, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (i0, i1) =>
        {
            for (var i = i0; i < i1; i++)
            {
                var j = (int)(i % count);
                var v = (((float*)x)[i] * _scale[j]) + _shift[j];
                ((float*)y)[i] = _hasPower ? MathF.Pow(v, _power[j]) : v;
            }
        });
    }
}

/// <summary>Quantize or dequantize between FP32 and INT8 steps on the CPU backend (NHWC to NHWC).</summary>
internal sealed unsafe class HostConvertStep(Engine engine, PlanNode node) : HostStep(engine, node)
{
    public override void Run(ExecutionContext context, int batch)
    {
        long count = Elements(Output, batch);
        if (((ConvertLayer)Node.Layer).ToInt8)
        {
            HostConvert.Quantize(context.Pointer<float>(Input(), batch), context.Pointer<sbyte>(Output, batch), count, Output.Scale);
        }
        else
        {
            HostConvert.Dequantize(context.Pointer<sbyte>(Input(), batch), context.Pointer<float>(Output, batch), count, Input().Scale);
        }
    }
}
