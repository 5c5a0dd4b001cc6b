using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ILGPUInt8.Kernels.Cpu;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Layers.Runtime;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Layers.Operators;

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
            float sa = Input(0).Scale, sb = Input(1).Scale, sy = Output.Scale;
            var (ma, mb, shift) = Int8ElementWise.SumParameters(sa, sb, sy);
            var body = new Int8Ranges
            {
                A = context.Pointer<sbyte>(Input(0), batch),
                B = context.Pointer<sbyte>(Input(1), batch),
                Y = context.Pointer<sbyte>(Output, batch),
                Op = op,
                Count = count,
                BLength = bLength,
                Lo = Node.Fused.Kind == ActivationKind.Relu ? 0 : -127,
                Ma = ma,
                Mb = mb,
                Shift = shift,
                Pm = Int8ElementWise.ProductMultiplier(sa, sb, sy),
                Ra = Int8ElementWise.RatioMultiplier(sa, sy),
                Rb = Int8ElementWise.RatioMultiplier(sb, sy),
            };
            ForRanges(count, 32768, ref body);
            return;
        }

        var fbody = new FloatRanges
        {
            A = context.Pointer<float>(Input(0), batch),
            B = context.Pointer<float>(Input(1), batch),
            Y = context.Pointer<float>(Output, batch),
            Op = op,
            Count = count,
            BLength = bLength,
            Act = Node.Fused,
        };
        ForRanges(count, 32768, ref fbody);
    }

    /// <summary>
    /// The fused residual sum of a convolution on the CPU backend: y = Sum(t, r) over <paramref name="count"/> elements
    /// (<see cref="Kernels.Gemm.ResidualSum"/>), in place when <paramref name="y"/> is <paramref name="t"/>.
    /// </summary>
    internal static void ResidualSum(sbyte* t, sbyte* r, sbyte* y, long count, Kernels.Gemm.ResidualSum sum)
    {
        var body = new Int8Ranges
        {
            A = t,
            B = r,
            Y = y,
            Op = ElementWiseOperation.Sum,
            Count = count,
            BLength = count,
            Lo = sum.Lo,
            Ma = sum.MConv,
            Mb = sum.MSkip,
            Shift = sum.Shift,
        };
        ForRanges(count, 32768, ref body);
    }

    private struct Int8Ranges : ICpuRangeBody
    {
        public sbyte* A, B, Y;
        public ElementWiseOperation Op;
        public long Count, BLength, Ma, Mb;
        public int Lo, Shift;
        public float Pm, Ra, Rb;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Run(long i0, long i1)
        {
            var i = i0;
            if (Op == ElementWiseOperation.Sum && BLength == Count && Avx.IsSupported && Math.Max(Math.Abs(Ma), Math.Abs(Mb)) <= 1L << 40)
            {
                i = HostInt8Sum.Run(A, B, Y, i0, i1, Ma, Mb, Shift, Lo);
            }

            for (; i < i1; i++)
            {
                int u = A[i], v = B[i % BLength];
                Y[i] = (sbyte)(Op switch
                {
                    ElementWiseOperation.Sum => Int8ElementWise.Sum(u, v, Ma, Mb, Shift, Lo),
                    ElementWiseOperation.Product => Int8ElementWise.Product(u, v, Pm, Lo),
                    _ => Int8ElementWise.Max(u, v, Ra, Rb, Lo),
                });
            }
        }
    }

    private struct FloatRanges : ICpuRangeBody
    {
        public float* A, B, Y;
        public ElementWiseOperation Op;
        public long Count, BLength;
        public ActivationSpec Act;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Run(long i0, long i1)
        {
            float* x = A, z = B, y = Y;
            var act = Act;
            var i = i0;
            if (BLength == Count && Op == ElementWiseOperation.Sum && (act.IsNone || act.Kind == ActivationKind.Relu))
            {
                for (; i + 8 <= i1; i += 8)
                {
                    var v = Vector256.Load(x + i) + Vector256.Load(z + i);
                    (act.IsNone ? v : Vector256.Max(v, Vector256<float>.Zero)).Store(y + i);
                }
            }

            for (; i < i1; i++)
            {
                float u = x[i], v = z[i % BLength];
                y[i] = act.Apply(Op switch
                {
                    ElementWiseOperation.Sum => u + v,
                    ElementWiseOperation.Product => u * v,
                    _ => u > v ? u : v,
                });
            }
        }
    }
}
