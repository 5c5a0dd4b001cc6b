using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Layers.Runtime;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Layers.Operators;

/// <summary>FP32 hard sigmoid on the device: thread i computes y[i] = max(0, min(1, alpha·x[i] + beta)).</summary>
internal sealed class HardSigmoidStep(Engine engine, PlanNode node) : Step(engine, node)
{
    public override void Run(ExecutionContext context, int batch)
    {
        var layer = (HardSigmoidLayer)Node.Layer;
        var x = context.View<float>(Input(), batch);
        var y = context.View<float>(Output, batch);
        var kernel = Device.GetKernel("hardsigmoid.f32", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, float, float>(Kernel));
        kernel((int)x.Length, x, y, layer.Alpha, layer.Beta);
    }

    private static void Kernel(Index1D i, ArrayView<float> x, ArrayView<float> y, float alpha, float beta) =>
        y[i] = HardSigmoidLayer.Apply(x[i], alpha, beta);
}
