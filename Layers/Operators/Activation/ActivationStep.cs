using ILGPU;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Layers.Runtime;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Layers.Operators;

/// <summary>Activation: FP32 kernel with the function as a type parameter; INT8 the exact table from s_in to s_out.</summary>
internal sealed class ActivationStep : Step
{
    private readonly ArrayView<sbyte> _lut;

    public ActivationStep(Engine engine, PlanNode node)
        : base(engine, node)
    {
        if (node.Int8)
        {
            _lut = Upload(Int8Parameters.ActivationTable(Plan, ((ActivationLayer)node.Layer).Activation, Input().Scale, Output.Scale));
        }
    }

    public override void Run(ExecutionContext context, int batch)
    {
        if (Node.Int8)
        {
            Activation.Int8(Device, context.View<sbyte>(Input(), batch), context.View<sbyte>(Output, batch), _lut);
        }
        else
        {
            Activation.Float(Device, context.View<float>(Input(), batch), context.View<float>(Output, batch), ((ActivationLayer)Node.Layer).Activation);
        }
    }
}
