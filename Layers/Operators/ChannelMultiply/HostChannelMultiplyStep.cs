using ILGPUInt8.Kernels.Cpu;
using ILGPUInt8.Layers.Runtime;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Layers.Operators;

/// <summary>FP32 channel multiply on the CPU backend (NHWC): each pixel's C values times the item's C scales, in ranges of pixels.</summary>
internal sealed unsafe class HostChannelMultiplyStep(Engine engine, PlanNode node) : HostStep(engine, node)
{
    public override void Run(ExecutionContext context, int batch)
    {
        var d = Input().Dims;
        var body = new Pixels
        {
            X = context.Pointer<float>(Input(0), batch),
            S = context.Pointer<float>(Input(1), batch),
            Y = context.Pointer<float>(Output, batch),
            C = d.C,
            Plane = d.H * d.W,
        };
        ForRanges((long)batch * body.Plane, 256, ref body);
    }

    private struct Pixels : ICpuRangeBody
    {
        public float* X, S, Y;
        public int C, Plane;

        public readonly void Run(long p0, long p1)
        {
            for (long p = p0; p < p1; p++)
            {
                float* s = S + (p / Plane * C);
                long o = p * C;
                for (int c = 0; c < C; c++)
                {
                    Y[o + c] = X[o + c] * s[c];
                }
            }
        }
    }
}
