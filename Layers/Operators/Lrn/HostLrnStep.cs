using System.Runtime.CompilerServices;

namespace ILGPUInt8.Layers;

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
