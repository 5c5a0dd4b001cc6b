using ILGPUInt8.Kernels.Cpu;
using ILGPUInt8.Layers.Runtime;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Layers.Operators;

/// <summary>FP32 hard sigmoid on the CPU backend: y[i] = max(0, min(1, alpha·x[i] + beta)), in ranges over the threads.</summary>
internal sealed unsafe class HostHardSigmoidStep(Engine engine, PlanNode node) : HostStep(engine, node)
{
    public override void Run(ExecutionContext context, int batch)
    {
        var layer = (HardSigmoidLayer)Node.Layer;
        var body = new Ranges { X = context.Pointer<float>(Input(), batch), Y = context.Pointer<float>(Output, batch), Alpha = layer.Alpha, Beta = layer.Beta };
        ForRanges(batch * Input().Dims.Volume, 4096, ref body);
    }

    private struct Ranges : ICpuRangeBody
    {
        public float* X, Y;
        public float Alpha, Beta;

        public readonly void Run(long i0, long i1)
        {
            for (long i = i0; i < i1; i++)
            {
                Y[i] = HardSigmoidLayer.Apply(X[i], Alpha, Beta);
            }
        }
    }
}
