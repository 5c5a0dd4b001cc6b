namespace ILGPUInt8.Layers.Builder;

/// <summary>
/// Fuses an activation into the convolution, deconvolution, fully connected or element-wise step before it when that
/// step's output is read only by the activation and is not a network output, and both run in the same precision.
/// INT8: any activation after a convolution-like step (ReLU as lo = 0 of the requantize, others through the exact table
/// from the removed tensor's scale), only ReLU after an element-wise step. The fused step writes the activation's output.
/// </summary>
internal static class FusionPass
{
    public static void Run(Plan plan)
    {
        foreach (var act in plan.Nodes.Where(n => n.Layer.FusibleActivation is not null).ToList())
        {
            var activation = act.Layer.FusibleActivation!.Value;
            var middle = plan.Tensors[act.Inputs[0]];
            var producer = plan.Producer(middle.Id);
            if (producer is null || !producer.Fused.IsNone || !producer.Layer.FusesActivation(activation, producer.Int8) || producer.Int8 != act.Int8
                || middle.IsOutput || plan.Consumers(middle.Id).Count() != 1)
            {
                continue;
            }

            producer.Fused = activation;
            producer.IntermediateThreshold = middle.Threshold ?? 0f;
            producer.Output = act.Output;
            producer.Sources.AddRange(act.Sources);
            plan.Nodes.Remove(act);
        }
    }
}
