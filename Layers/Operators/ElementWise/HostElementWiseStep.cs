using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ILGPUInt8.Kernels.Ops;

namespace ILGPUInt8.Layers;

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
