using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Layers.Runtime;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Layers.Operators;

/// <summary>FP32 channel multiply on the device (NHWC): thread i computes y[i] = x[i]·s[n·C + c], c = i mod C, n = i / (H·W·C).</summary>
internal sealed class ChannelMultiplyStep(Engine engine, PlanNode node) : Step(engine, node)
{
    public override void Run(ExecutionContext context, int batch)
    {
        var d = Input().Dims;
        var x = context.View<float>(Input(0), batch);
        var s = context.View<float>(Input(1), batch);
        var y = context.View<float>(Output, batch);
        var kernel = Device.GetKernel("channelmultiply.f32", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(Kernel));
        kernel((int)x.Length, x, s, y, d.C, d.C * d.H * d.W);
    }

    private static void Kernel(Index1D i, ArrayView<float> x, ArrayView<float> s, ArrayView<float> y, int c, int item) =>
        y[i] = x[i] * s[((i / item) * c) + (i % c)];
}
