using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Builder;

/// <summary>
/// Network → plan, then the graph rewrites that keep FP32 semantics: constant folding (a layer whose inputs are all
/// constant is evaluated on the host by its <see cref="Layer.EvaluateConstant"/> and becomes a constant), batch norm lowered to a per-channel
/// Scale, a per-channel or uniform Scale without power folded into the convolution / fully connected / deconvolution before it
/// (w'[k] = w[k]·scale[k], b'[k] = b[k]·scale[k] + shift[k]), a flatten feeding a fully connected layer absorbed
/// (its weights are already in flatten order), and dead layers removed.
/// </summary>
internal static class GraphLowering
{
    public static Plan Lower(NetworkDefinition network, int maxBatchSize)
    {
        var plan = Translate(network, maxBatchSize);
        FoldConstants(plan);
        foreach (var node in plan.Nodes)
        {
            node.Layer = node.Layer.Lower();
        }

        FoldScales(plan);
        AbsorbFlattens(plan);
        RemoveDead(plan);
        foreach (var id in plan.Outputs)
        {
            if (plan.Tensors[id].Constant is not null)
            {
                throw new NetworkException($"Network output '{plan.Tensors[id].Name}' is a constant; mark a computed tensor.");
            }
        }

        foreach (var node in plan.Nodes)
        {
            // Element-wise operations are commutative: a constant goes second (it is broadcast over the batch).
            if (node.Layer.CommutesInputs && plan.Tensors[node.Inputs[0]].Constant is not null)
            {
                (node.Inputs[0], node.Inputs[1]) = (node.Inputs[1], node.Inputs[0]);
            }
        }

        plan.Compact();
        return plan;
    }

    /// <summary>The network as a plan, one step per layer, nothing rewritten (the layer-by-layer reference runs it).</summary>
    public static Plan Translate(NetworkDefinition network, int maxBatchSize)
    {
        var order = network.Validate();
        var plan = new Plan { MaxBatchSize = maxBatchSize };
        var ids = new Dictionary<Tensor, int>();
        foreach (var input in network.Inputs)
        {
            var t = plan.Add(input.Name, input.Dims);
            t.IsInput = true;
            t.Threshold = input.DynamicRange;
            ids[input] = t.Id;
            plan.Inputs.Add(t.Id);
        }

        foreach (var layer in order)
        {
            var t = plan.Add(layer.Output.Name, layer.Output.Dims);
            t.Threshold = layer.Output.DynamicRange;
            ids[layer.Output] = t.Id;
            if (layer.ConstantValues is { } values)
            {
                t.Constant = values;
                continue;
            }

            plan.Nodes.Add(new PlanNode(layer, [.. layer.Inputs.Select(i => ids[i])], t.Id, [layer.Name]));
        }

        foreach (var output in network.Outputs)
        {
            plan.Outputs.Add(ids[output]);
            plan.Tensors[ids[output]].IsOutput = true;
        }

        return plan;
    }

    private static void FoldConstants(Plan plan)
    {
        foreach (var node in plan.Nodes.ToList())
        {
            if (node.Inputs.Count > 0 && node.Inputs.TrueForAll(i => plan.Tensors[i].Constant is not null))
            {
                var inputs = node.Inputs.Select(i => plan.Tensors[i]).ToList();
                plan.Tensors[node.Output].Constant = node.Layer.EvaluateConstant([.. inputs.Select(t => t.Constant!)], [.. inputs.Select(t => t.Dims)]);
                plan.Nodes.Remove(node);
            }
        }
    }

    private static void FoldScales(Plan plan)
    {
        foreach (var node in plan.Nodes.ToList())
        {
            if (node.Layer.FoldableScale is not { } fold)
            {
                continue;
            }

            var input = plan.Tensors[node.Inputs[0]];
            var producer = plan.Producer(input.Id);
            if (producer is null || input.IsOutput || plan.Consumers(input.Id).Count() != 1)
            {
                continue;
            }

            var folded = producer.Layer.FoldScale(fold.Scale, fold.Shift, input.Dims.C, plan.Tensors[producer.Inputs[0]].Dims);
            if (folded is null)
            {
                continue;
            }

            producer.Layer = folded;
            producer.Output = node.Output;
            producer.Sources.AddRange(node.Sources);
            plan.Nodes.Remove(node);
        }
    }

    private static void AbsorbFlattens(Plan plan)
    {
        foreach (var node in plan.Nodes)
        {
            if (node.Layer.AbsorbsFlatten && plan.Producer(node.Inputs[0]) is { Layer.IsReshape: true } reshape)
            {
                var dims = plan.Tensors[node.Inputs[0]].Dims;
                if (dims.H == 1 && dims.W == 1)
                {
                    node.Inputs[0] = reshape.Inputs[0];
                    node.Sources.InsertRange(0, reshape.Sources);
                }
            }
        }
    }

    /// <summary>Removes nodes whose output nothing reads and that is not a network output, until none is left.</summary>
    public static void RemoveDead(Plan plan)
    {
        bool changed;
        do
        {
            var read = new HashSet<int>(plan.Nodes.SelectMany(n => n.Inputs).Concat(plan.Outputs));
            changed = plan.Nodes.RemoveAll(n => !read.Contains(n.Output)) > 0;
        }
        while (changed);
    }
}
