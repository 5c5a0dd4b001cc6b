using System.Runtime.CompilerServices;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Reference;

namespace ILGPUInt8.Layers;

/// <summary>
/// Softmax across channels on the CPU backend (NHWC: a pixel's channels are contiguous). FP32: y = exp(x − max) /
/// Σ exp(x − max), exp and sum in double; INT8 input: e_j = E[q_max − q_j] from the exp table, the sum in float in the
/// lane order of the GPU kernels (<see cref="NormalizationReference.SumInLaneOrder"/>), y = e_j / sum (float output), as
/// the reference.
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

                    var sum = NormalizationReference.SumInLaneOrder(e, lanes);
                    for (var j = 0; j < c; j++)
                    {
                        o[j] = e[j] / sum;
                    }
                }
            });
            return;
        }

        nint xf = (nint)context.Pointer<float>(Input(), batch);
        ForRanges(pixels, 256, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (p0, p1) =>
        {
            for (var p = p0; p < p1; p++)
            {
                float* x = (float*)xf + (p * c), o = (float*)y + (p * c);
                var max = float.NegativeInfinity;
                for (var j = 0; j < c; j++)
                {
                    max = Math.Max(max, x[j]);
                }

                double sum = 0;
                for (var j = 0; j < c; j++)
                {
                    sum += Math.Exp(x[j] - max);
                }

                for (var j = 0; j < c; j++)
                {
                    o[j] = (float)(Math.Exp(x[j] - max) / sum);
                }
            }
        });
    }
}

/// <summary>
/// LRN across channels on the CPU backend (FP32, NHWC): y = x / (k + alpha/size · Σ_{window} x_j²)^beta, in double.
/// </summary>
internal sealed unsafe class HostLrnStep(Engine engine, PlanNode node) : HostStep(engine, node)
{
    public override void Run(ExecutionContext context, int batch)
    {
        var l = (LrnLayer)Node.Layer;
        int c = Input().Dims.C, size = l.WindowSize, before = (size - 1) / 2, after = size / 2;
        double alpha = l.Alpha, beta = l.Beta, k = l.K;
        nint xf = (nint)context.Pointer<float>(Input(), batch), yf = (nint)context.Pointer<float>(Output, batch);
        ForRanges((long)batch * Input().Dims.Plane, 256, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (p0, p1) =>
        {
            for (var p = p0; p < p1; p++)
            {
                float* x = (float*)xf + (p * c), y = (float*)yf + (p * c);
                for (var ch = 0; ch < c; ch++)
                {
                    double sum = 0;
                    for (var j = Math.Max(0, ch - before); j <= Math.Min(c - 1, ch + after); j++)
                    {
                        double v = x[j];
                        sum += v * v;
                    }

                    y[ch] = (float)(x[ch] / Math.Pow(k + (alpha / size * sum), beta));
                }
            }
        });
    }
}
