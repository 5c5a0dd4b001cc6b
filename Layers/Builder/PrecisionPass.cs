using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Builder;

/// <summary>
/// Chooses FP32, FP16 or INT8 per step and the scale of every INT8 tensor (T/127 of its threshold).
/// A step runs FP16 when it asks for it (<see cref="LayerPrecision.Half"/>), or when FP16 is on, it asks nothing and does
/// not run INT8 (its weights are then rounded to half here, so the plan and the engine file hold the FP16 weights).
/// A step runs INT8 when INT8 is on, its type has an INT8 kernel, its ranges are known and no override says FP32:
/// convolution, deconvolution, fully connected, activation, average pooling, element-wise and concatenation need the
/// ranges of their inputs and output; max pooling, reshape/flatten and padding need their input's, and their output
/// takes the input's scale (the values are the same); softmax needs its input's (its output is float) and runs INT8 only
/// along channels.
/// Before that, a tensor read only by a max pooling (or reshape/flatten/padding) that can run INT8 takes the threshold
/// of that reader's output: clipping and rounding commute with max (clip(max x) = max(clip x)), so quantizing before
/// or after the pool gives the same int8 values, and the pooled tensor is what the next layer reads, so its histogram is
/// the one the threshold should answer for (a ReLU output's background spikes can pull its own entropy threshold low).
/// A ReLU input without a range of its own takes the ReLU output's (<see cref="ReluRangesFromOutputs"/>).
/// Then an INT8 ReLU whose input is the sole use of an INT8 convolution-like or element-wise output gives that tensor its
/// own scale, so the ReLU is exactly max(q, 0) and fusing it (lo = 0 in the requantize) changes no bit.
/// </summary>
internal static class PrecisionPass
{
    /// <summary>
    /// Chooses the precisions; <paramref name="timed"/> (best by build-time timing, <see cref="PrecisionTiming"/>) gives
    /// layers without a request of their own the precision timing chose for them.
    /// </summary>
    public static void Run(Plan plan, BuilderConfig config, IReadOnlyDictionary<string, LayerPrecision>? timed = null)
    {
        LayerPrecision Request(PlanNode node) =>
            config.Request(node.Layer) is LayerPrecision.Auto && timed is not null && timed.TryGetValue(node.Name, out var chosen) ? chosen : config.Request(node.Layer);
        if (config.Int8 && config.CalibrationPolicy.ThresholdsFromPooling)
        {
            foreach (var node in plan.Nodes.AsEnumerable().Reverse())
            {
                var input = plan.Tensors[node.Inputs[0]];
                if (node.Layer.Int8KeepsInputScale && Request(node) is LayerPrecision.Auto or LayerPrecision.Int8 && plan.Tensors[node.Output].Threshold is float pooled
                    && input.Threshold is not null && !input.IsOutput && plan.Consumers(input.Id).Count() == 1)
                {
                    input.Threshold = pooled;
                }
            }
        }

        if (config.Int8)
        {
            ReluRangesFromOutputs(plan, Request);
        }

        foreach (var node in plan.Nodes)
        {
            var request = Request(node);
            var missing = Missing(plan, node);
            if (request == LayerPrecision.Int8)
            {
                if (!config.Int8)
                {
                    throw new NetworkException(node.Name, "INT8 is requested but the builder config does not enable INT8.");
                }

                if (missing is not null)
                {
                    throw new NetworkException(node.Name, $"INT8 is requested but {missing}.");
                }
            }

            node.Int8 = config.Int8 && request is LayerPrecision.Auto or LayerPrecision.Int8 && missing is null;

            // FP16 where asked (any mode) or, with FP16 allowed, where the layer runs no INT8 and asks nothing.
            node.Half = !node.Int8 && (request == LayerPrecision.Half || (config.Fp16 && request == LayerPrecision.Auto));
            if (node.Half)
            {
                node.Layer = node.Layer.WithHalfWeights();
            }

            if (node.Int8 && node.Layer.Int8KeepsInputScale)
            {
                plan.Tensors[node.Output].Threshold = plan.Tensors[node.Inputs[0]].Threshold;
            }
        }

        foreach (var node in plan.Nodes)
        {
            if (node.Int8 && node.Layer.Int8SharesScaleWithProducer is { } activation)
            {
                var input = plan.Tensors[node.Inputs[0]];
                if (plan.Producer(input.Id) is { Int8: true } producer && producer.Layer.FusesActivation(activation, int8: true) && !input.IsOutput && plan.Consumers(input.Id).Count() == 1)
                {
                    input.Threshold = plan.Tensors[node.Output].Threshold;
                }
            }
        }

        foreach (var node in plan.Nodes)
        {
            // Integer-only: a layer whose INT8 output is float (softmax) writes int8 at its fixed threshold instead.
            var output = plan.Tensors[node.Output];
            var integerOutput = plan.IntegerOnly && node.Int8 && node.Layer.IntegerOnlyOutputThreshold is not null;
            if (integerOutput)
            {
                output.Threshold = node.Layer.IntegerOnlyOutputThreshold;
            }

            output.Type = node.Int8 && (!node.Layer.Int8OutputIsFloat || integerOutput) ? DataType.Int8 : DataType.Float;
        }
    }

    /// <summary>
    /// A ReLU's input with no range of its own, written only for that ReLU by a step that fuses ReLU, takes the ReLU
    /// output's threshold: the scale the fused step's output gets anyway (see the last rule above), so its INT8 numbers
    /// are those of a calibrated build. QDQ models carry exactly that: a Q/DQ pair after each ReLU, none between the
    /// convolution and its ReLU. Only done when it lets the producer run INT8.
    /// </summary>
    private static void ReluRangesFromOutputs(Plan plan, Func<PlanNode, LayerPrecision> request)
    {
        foreach (var node in plan.Nodes)
        {
            var input = plan.Tensors[node.Inputs[0]];
            if (node.Layer.Int8SharesScaleWithProducer is not { } activation || request(node) is LayerPrecision.Float or LayerPrecision.Half
                || input.Threshold is not null || plan.Tensors[node.Output].Threshold is not float threshold
                || input.IsOutput || plan.Consumers(input.Id).Count() != 1
                || plan.Producer(input.Id) is not { } producer || request(producer) is LayerPrecision.Float or LayerPrecision.Half
                || !producer.Layer.FusesActivation(activation, int8: true))
            {
                continue;
            }

            input.Threshold = threshold;
            if (Missing(plan, producer) is not null)
            {
                input.Threshold = null;
            }
        }
    }

    /// <summary>Why the node cannot run INT8, or null when it can.</summary>
    internal static string? Missing(Plan plan, PlanNode node)
    {
        if (node.Layer.Int8LimitIn(plan.IntegerOnly) is { } limit)
        {
            return limit;
        }

        foreach (var id in node.Inputs)
        {
            if (plan.Tensors[id].Threshold is null)
            {
                return $"input tensor '{plan.Tensors[id].Name}' has no dynamic range";
            }
        }

        if (!node.Layer.Int8KeepsInputScale && !node.Layer.Int8OutputIsFloat && plan.Tensors[node.Output].Threshold is null)
        {
            return $"output tensor '{plan.Tensors[node.Output].Name}' has no dynamic range";
        }

        if (node.Layer.Int8NeedsRuntimeInput && plan.Tensors[node.Inputs[0]].Constant is not null)
        {
            return "its input is a constant";
        }

        return null;
    }
}
