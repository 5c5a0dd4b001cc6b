using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Reference;
using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Reference;

/// <summary>The plan reference of an element-wise layer (the second operand, a constant, is broadcast over the batch).</summary>
internal sealed class ElementWisePlanReference : PlanEvaluator<ElementWiseLayer>
{
    /// <inheritdoc />
    protected override Array Evaluate(ElementWiseLayer layer, PlanEvaluation e)
    {
        var node = e.Node;
        Array a = e.X, b = e.Raw(1);
        if (!node.Int8)
        {
            return ElementWiseReference.Float((float[])a, (float[])b, layer.Operation, node.Fused);
        }

        float sa = e.Plan.Tensors[node.Inputs[0]].Scale, sb = e.Plan.Tensors[node.Inputs[1]].Scale;
        return ElementWiseReference.Int8((sbyte[])a, (sbyte[])b, layer.Operation, sa, sb, e.Output.Scale, node.Fused.Kind == ActivationKind.Relu);
    }
}
