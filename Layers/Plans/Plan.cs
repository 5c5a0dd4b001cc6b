using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Plans;

/// <summary>
/// A tensor of an engine plan. Activations live in the context's arena at <see cref="Offset"/> (NHWC: float, 2-byte half
/// or int8 with per-tensor scale); constants live in the engine (float or int8); a view (<see cref="AliasOf"/>) shares
/// another tensor's bytes.
/// </summary>
internal sealed class PlanTensor
{
    public PlanTensor(int id, string name, TensorDims dims)
    {
        Id = id;
        Name = name;
        Dims = dims;
    }

    public int Id { get; set; }

    public string Name { get; }

    public TensorDims Dims { get; }

    /// <summary>
    /// Float, Half (2-byte halves: the output of an FP16 step or of a conversion to FP16; engine files before version 9
    /// keep FP16 values in float words) or Int8.
    /// </summary>
    public DataType Type { get; set; } = DataType.Float;

    /// <summary>INT8 threshold T (scale T/127), or null when no range is known.</summary>
    public float? Threshold { get; set; }

    /// <summary>The int8 scale T/127 (int8 tensors only).</summary>
    public float Scale => Threshold is { } t ? t / 127f : throw new InvalidOperationException($"Tensor '{Name}' has no range.");

    /// <summary>Constant values (NCHW, one item), or null for an activation.</summary>
    public float[]? Constant { get; set; }

    public bool IsInput { get; set; }

    public bool IsOutput { get; set; }

    /// <summary>The tensor whose bytes this one views, or −1.</summary>
    public int AliasOf { get; set; } = -1;

    /// <summary>Byte offset in the arena (of the alias root for a view).</summary>
    public long Offset { get; set; }

    /// <summary>Bytes of one batch item.</summary>
    public long ItemBytes => Dims.Volume * Type.ElementSize();

    public override string ToString() => $"#{Id} {Name} {Dims} {Type}{(Threshold is { } t ? $" T={t:G6}" : string.Empty)}";
}

/// <summary>One step of an engine plan: a layer (parameters), its tensors, its precision and what was fused into it.</summary>
internal sealed class PlanNode
{
    public PlanNode(Layer layer, List<int> inputs, int output, IEnumerable<string> sources)
    {
        Layer = layer;
        Inputs = inputs;
        Output = output;
        Sources = [.. sources];
    }

    public Layer Layer { get; set; }

    public List<int> Inputs { get; }

    public int Output { get; set; }

    /// <summary>Runs in INT8.</summary>
    public bool Int8 { get; set; }

    /// <summary>
    /// Runs in FP16 (never with <see cref="Int8"/>): it reads half values, computes in FP32 with its weights rounded to
    /// half and rounds its output to half (round-to-nearest-even) as it stores it, 2 bytes an element
    /// (<see cref="DataType.Half"/>) except an engine output (float words holding the halves).
    /// </summary>
    public bool Half { get; set; }

    /// <summary>"int8", "fp16" or "fp32".</summary>
    public string Precision => Int8 ? "int8" : Half ? "fp16" : "fp32";

    /// <summary>A fused activation (convolution, fully connected, deconvolution, element-wise).</summary>
    public ActivationSpec Fused { get; set; } = ActivationSpec.None;

    /// <summary>INT8 fused activation: the threshold of the pre-activation tensor that fusion removed.</summary>
    public float IntermediateThreshold { get; set; }

    /// <summary>
    /// INT8 residual sum fused after a convolution (null: none): the threshold of the convolution's own output t, the
    /// first operand of the element-wise sum that fusion removed. The step computes y = Sum(t, r) then <see cref="Fused"/>
    /// (ReLU or none); the skip operand r is <see cref="Inputs"/>[1].
    /// </summary>
    public float? ResidualThreshold { get; set; }

    /// <summary>Names of the network layers this step computes.</summary>
    public List<string> Sources { get; }

    /// <summary>The output is a view of the input (a reshape whose bytes already match): nothing runs.</summary>
    public bool IsView { get; set; }

    /// <summary>
    /// The kernel variants build-time tactic timing chose for this step, by the batch size they were timed at (empty:
    /// none timed, the heuristic choice). A run at batch n uses the tactic timed at the batch nearest to n on a log scale.
    /// </summary>
    public List<(int Batch, string Variant)> Tactics { get; } = [];

    public string Name => Layer.Name;

    public override string ToString() =>
        $"{Name} {Layer.Type} {Precision}{(ResidualThreshold is null ? string.Empty : " +Add")}{(Fused.IsNone ? string.Empty : " +" + Fused)}";
}

/// <summary>The whole plan an engine executes: tensors, steps in order, inputs, outputs, the memory plan.</summary>
internal sealed class Plan
{
    public List<PlanTensor> Tensors { get; } = [];

    public List<PlanNode> Nodes { get; } = [];

    public List<int> Inputs { get; } = [];

    public List<int> Outputs { get; } = [];

    public int MaxBatchSize { get; set; } = 1;

    /// <summary>
    /// Integer-only engine (<c>BuilderConfig.IntegerOnly</c>): INT8 steps requantize with Q31 multipliers and rounding
    /// shifts, build their tables with integers and softmax writes int8; the builder checked that no float step remains.
    /// </summary>
    public bool IntegerOnly { get; set; }

    /// <summary>
    /// TF32 allowed for FP32 steps (<c>BuilderConfig.Tf32</c>): a CUDA engine runs its FP32 convolutions and fully
    /// connected layers on the tensor cores in TF32 where it can (the step says so: <c>Step.RunsTf32</c>). False: strict FP32.
    /// </summary>
    public bool Tf32 { get; set; }

    /// <summary>Arena bytes for the maximum batch.</summary>
    public long ArenaBytes { get; set; }

    /// <summary>Arena bytes without reuse (the sum of all activation sizes), for the report.</summary>
    public long UnsharedBytes { get; set; }

    public PlanTensor Add(string name, TensorDims dims)
    {
        var t = new PlanTensor(Tensors.Count, name, dims);
        Tensors.Add(t);
        return t;
    }

    /// <summary>The tensor whose bytes <paramref name="t"/> uses (itself unless a view).</summary>
    public PlanTensor Root(PlanTensor t)
    {
        while (t.AliasOf >= 0)
        {
            t = Tensors[t.AliasOf];
        }

        return t;
    }

    /// <summary>Nodes reading tensor <paramref name="id"/>.</summary>
    public IEnumerable<PlanNode> Consumers(int id) => Nodes.Where(n => n.Inputs.Contains(id));

    /// <summary>The node producing <paramref name="id"/>, or null.</summary>
    public PlanNode? Producer(int id) => Nodes.FirstOrDefault(n => n.Output == id);

    /// <summary>Removes tensors nothing refers to and renumbers ids.</summary>
    public void Compact()
    {
        var used = new HashSet<int>(Inputs.Concat(Outputs).Concat(Nodes.SelectMany(n => n.Inputs.Append(n.Output))));
        foreach (var t in Tensors.Where(t => t.AliasOf >= 0).ToList())
        {
            used.Add(t.AliasOf);
        }

        var map = new Dictionary<int, int>();
        var kept = Tensors.Where(t => used.Contains(t.Id)).ToList();
        for (var i = 0; i < kept.Count; i++)
        {
            map[kept[i].Id] = i;
        }

        foreach (var t in kept)
        {
            t.Id = map[t.Id];
            t.AliasOf = t.AliasOf >= 0 ? map[t.AliasOf] : -1;
        }

        Tensors.Clear();
        Tensors.AddRange(kept);
        foreach (var n in Nodes)
        {
            for (var i = 0; i < n.Inputs.Count; i++)
            {
                n.Inputs[i] = map[n.Inputs[i]];
            }

            n.Output = map[n.Output];
        }

        for (var i = 0; i < Inputs.Count; i++)
        {
            Inputs[i] = map[Inputs[i]];
        }

        for (var i = 0; i < Outputs.Count; i++)
        {
            Outputs[i] = map[Outputs[i]];
        }
    }
}
