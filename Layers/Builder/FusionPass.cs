namespace ILGPUInt8.Layers.Builder;

/// <summary>
/// Fuses, in two rounds (the second only when switched on, <see cref="BuilderConfig.FuseResidualSums"/>, off by default):
/// <list type="number">
/// <item>an activation into the convolution, deconvolution, fully connected or element-wise step before it when that
/// step's output is read only by the activation and is not a network output, and both run in the same precision.
/// INT8: any activation after a convolution-like step (ReLU as lo = 0 of the requantize, others through the exact table
/// from the removed tensor's scale), only ReLU after an element-wise step. The fused step writes the activation's output;</item>
/// <item>an INT8 residual sum (element-wise sum, with its fused ReLU if any) into the INT8 convolution that computes one
/// of its operands, when that convolution has no activation of its own and its output is read only by the sum and is not
/// a network output, and the other operand is an activation of the same shape: the convolution's epilogue requantizes
/// to its own output's scale and adds the skip operand with the sum's integer formula
/// (<see cref="Kernels.Gemm.RequantizeSumEpilogue"/>), so the bits equal the unfused pair. The fused step takes the sum's
/// place in the order (the skip operand may be computed after the convolution, as a downsample branch is).</item>
/// </list>
/// </summary>
internal static class FusionPass
{
    public static void Run(Plan plan, bool residualSums)
    {
        FuseActivations(plan);
        if (residualSums)
        {
            FuseResidualSums(plan);
        }
    }

    private static void FuseActivations(Plan plan)
    {
        foreach (var act in plan.Nodes.Where(n => n.Layer.FusibleActivation is not null).ToList())
        {
            var activation = act.Layer.FusibleActivation!.Value;
            var middle = plan.Tensors[act.Inputs[0]];
            var producer = plan.Producer(middle.Id);
            if (producer is null || !producer.Fused.IsNone || !producer.Layer.FusesActivation(activation, producer.Int8) || producer.Int8 != act.Int8 || producer.Half != act.Half
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

    private static void FuseResidualSums(Plan plan)
    {
        foreach (var sum in plan.Nodes.Where(n => n.Int8 && n.Layer.IsResidualSum).ToList())
        {
            for (var operand = 0; operand < 2; operand++)
            {
                var middle = plan.Tensors[sum.Inputs[operand]];
                var skip = plan.Tensors[sum.Inputs[1 - operand]];
                var conv = plan.Producer(middle.Id);
                if (conv is not { Int8: true, ResidualThreshold: null } || !conv.Layer.FusesResidualSum || !conv.Fused.IsNone
                    || middle.IsOutput || middle.Threshold is null || plan.Consumers(middle.Id).Count() != 1
                    || skip.Constant is not null || skip.Id == middle.Id || skip.Dims != middle.Dims)
                {
                    continue;
                }

                conv.ResidualThreshold = middle.Threshold;
                conv.Fused = sum.Fused;
                conv.Inputs.Add(skip.Id);
                conv.Output = sum.Output;
                conv.Sources.AddRange(sum.Sources);
                plan.Nodes.Remove(conv);
                plan.Nodes[plan.Nodes.IndexOf(sum)] = conv;
                break;
            }
        }
    }
}
