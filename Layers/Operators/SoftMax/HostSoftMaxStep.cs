using System.Runtime.CompilerServices;
using ILGPUInt8.Kernels.Ops;

namespace ILGPUInt8.Layers;

/// <summary>
/// Softmax on the CPU backend (NHWC: a pixel's channels are contiguous). FP32, along any axis seen as [outer, length,
/// inner]: y = exp(x − max) / Σ exp(x − max), exp and sum in double; INT8 input (channels only): e_j = E[q_max − q_j] from
/// the exp table, the sum in float in the lane order of the GPU kernels (<see cref="SoftMax.SumInLaneOrder"/>),
/// y = e_j / sum (float output), as the reference.
/// </summary>
internal sealed unsafe class HostSoftMaxStep : HostStep
{
    private readonly float[]? _exp;

    public HostSoftMaxStep(Engine engine, PlanNode node)
        : base(engine, node)
    {
        if (node.Int8)
        {
            _exp = Int8LookupTable.SoftMaxExp(Input().Scale);
        }
    }

    public override void Run(ExecutionContext context, int batch)
    {
        int c = Input().Dims.C;
        long pixels = (long)batch * Input().Dims.Plane;
        nint y = (nint)context.Pointer<float>(Output, batch);
        if (_exp is { } exp)
        {
            nint xq = (nint)context.Pointer<sbyte>(Input(), batch);
            ForRanges(pixels, 256, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (p0, p1) =>
            {
                var e = new float[c];
                int lanes = SoftMax.LanesPerRow(c);
                for (var p = p0; p < p1; p++)
                {
                    sbyte* x = (sbyte*)xq + (p * c);
                    float* o = (float*)y + (p * c);
                    int max = -128;
                    for (var j = 0; j < c; j++)
                    {
                        max = Math.Max(max, x[j]);
                    }

                    for (var j = 0; j < c; j++)
                    {
                        e[j] = exp[max - x[j]];
                    }

                    var sum = SoftMax.SumInLaneOrder(e, lanes);
                    for (var j = 0; j < c; j++)
                    {
                        o[j] = e[j] / sum;
                    }
                }
            });
            return;
        }

        // FP32 along any axis: [outer, length, inner] (channels: inner = 1), one (o, i) pair a task, values at stride inner.
        var (outer, length, inner) = Input().Dims.Nhwc(((SoftMaxLayer)Node.Layer).Axis, batch);
        nint xf = (nint)context.Pointer<float>(Input(), batch);
        ForRanges((long)outer * inner, 256, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (p0, p1) =>
        {
            for (var p = p0; p < p1; p++)
            {
                long start = (p / inner * length * inner) + (p % inner);
                float* x = (float*)xf + start, o = (float*)y + start;
                var max = float.NegativeInfinity;
                for (var j = 0; j < length; j++)
                {
                    max = Math.Max(max, x[j * inner]);
                }

                double sum = 0;
                for (var j = 0; j < length; j++)
                {
                    sum += Math.Exp(x[j * inner] - max);
                }

                for (var j = 0; j < length; j++)
                {
                    o[j * inner] = (float)(Math.Exp(x[j * inner] - max) / sum);
                }
            }
        });
    }
}
