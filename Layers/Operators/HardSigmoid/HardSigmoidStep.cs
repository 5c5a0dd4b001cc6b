using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.IntegerOnly;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Layers.Runtime;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Layers.Operators;

/// <summary>
/// Hard sigmoid on the device: FP32, thread i computes y[i] = max(0, min(1, alpha·x[i] + beta)); INT8 (integer-only
/// engines) y[i] = lut[x[i] + 128], the table built with integers.
/// </summary>
internal sealed class HardSigmoidStep : Step
{
    private readonly ArrayView<sbyte> _lut;

    public HardSigmoidStep(Engine engine, PlanNode node)
        : base(engine, node)
    {
        var layer = (HardSigmoidLayer)node.Layer;
        if (node.Int8)
        {
            _lut = Upload(IntegerActivation.HardSigmoidTable(layer.Alpha, layer.Beta, Input().Scale, Output.Scale));
        }
    }

    public override void Run(ExecutionContext context, int batch)
    {
        var layer = (HardSigmoidLayer)Node.Layer;
        if (Node.Int8)
        {
            Activation.Int8(Device, context.View<sbyte>(Input(), batch), context.View<sbyte>(Output, batch), _lut);
            return;
        }

        var x = context.View<float>(Input(), batch);
        var y = context.View<float>(Output, batch);
        var kernel = Device.GetKernel("hardsigmoid.f32", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, float, float>(Kernel));
        kernel((int)x.Length, x, y, layer.Alpha, layer.Beta);
    }

    private static void Kernel(Index1D i, ArrayView<float> x, ArrayView<float> y, float alpha, float beta) =>
        y[i] = HardSigmoidLayer.Apply(x[i], alpha, beta);
}
