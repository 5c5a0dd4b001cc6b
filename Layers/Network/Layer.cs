using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Tensors;

namespace ILGPUInt8.Layers.Network;

/// <summary>The layer types of a network.</summary>
public enum LayerType
{
    /// <summary>2-D convolution.</summary>
    Convolution,

    /// <summary>2-D transposed convolution.</summary>
    Deconvolution,

    /// <summary>Fully connected (inner product over C·H·W).</summary>
    FullyConnected,

    /// <summary>Element-wise activation.</summary>
    Activation,

    /// <summary>Max or average pooling.</summary>
    Pooling,

    /// <summary>y = (x·scale + shift)^power.</summary>
    Scale,

    /// <summary>Batch normalization (lowered to Scale by the builder).</summary>
    BatchNormalization,

    /// <summary>Sum, product or max of two tensors.</summary>
    ElementWise,

    /// <summary>Local response normalization across channels.</summary>
    Lrn,

    /// <summary>Softmax across channels.</summary>
    SoftMax,

    /// <summary>Concatenation along channels.</summary>
    Concatenation,

    /// <summary>(C, H, W) → (C·H·W, 1, 1).</summary>
    Flatten,

    /// <summary>Any shape with the same volume (C-order).</summary>
    Reshape,

    /// <summary>Constant spatial padding.</summary>
    Padding,

    /// <summary>A constant tensor (weights held by the network).</summary>
    Constant,

    /// <summary>A precision conversion inserted by the builder (quantize or dequantize).</summary>
    Convert,

    /// <summary>Hard sigmoid y = max(0, min(1, alpha·x + beta)) (Layers/Operators/HardSigmoid/).</summary>
    HardSigmoid,

    /// <summary>y[c][h][w] = x[c][h][w]·s[c], s a run-time (C, 1, 1) tensor (squeeze-and-excitation; Layers/Operators/ChannelMultiply/).</summary>
    ChannelMultiply,

    /// <summary>Nearest or linear spatial resize (Layers/Operators/Resize/).</summary>
    Resize,

    /// <summary>Channel shuffle: channels [g][C/g] transposed to [C/g][g] (Layers/Operators/Transpose/).</summary>
    ChannelShuffle,

    /// <summary>A range of one item axis (C, H or W) (Layers/Operators/Slice/).</summary>
    Slice,

    /// <summary>A general transpose of each item seen as a tensor of any rank (Layers/Operators/Transpose/).</summary>
    Transpose,
}

/// <summary>The precision a layer asks the builder for.</summary>
public enum LayerPrecision
{
    /// <summary>INT8 where an INT8 kernel exists and ranges are known, FP32 otherwise.</summary>
    Auto,

    /// <summary>Always FP32.</summary>
    Float,

    /// <summary>INT8, an error when impossible.</summary>
    Int8,

    /// <summary>
    /// FP16: the step's output (and its weights) rounded to half, round-to-nearest-even, its arithmetic FP32; needs no
    /// ranges, so it is possible for every layer and in every builder mode.
    /// </summary>
    Half,
}

/// <summary>
/// A layer of a <see cref="NetworkDefinition"/>: its parameters (immutable after creation), its inputs (replaceable with
/// <see cref="SetInput"/>) and its single output tensor. Created by the network's <c>Add…</c> methods.
/// </summary>
public abstract class Layer
{
    private readonly List<Tensor> _inputs;

    /// <summary>Creates a layer; <paramref name="inputs"/> is empty for the builder's detached copies.</summary>
    private protected Layer(string name, IEnumerable<Tensor> inputs)
    {
        Name = name;
        _inputs = [.. inputs];
    }

    /// <summary>Unique layer name.</summary>
    public string Name { get; internal set; }

    /// <summary>The layer type.</summary>
    public abstract LayerType Type { get; }

    /// <summary>Input tensors in order.</summary>
    public IReadOnlyList<Tensor> Inputs => _inputs;

    /// <summary>The output tensor.</summary>
    public Tensor Output { get; internal set; } = null!;

    /// <summary>Precision request for the builder (default <see cref="LayerPrecision.Auto"/>).</summary>
    public LayerPrecision Precision { get; set; }

    /// <summary>
    /// Replaces input <paramref name="index"/> (as TensorRT's setInput). Shapes are inferred again and cycles detected when
    /// the network is built.
    /// </summary>
    public void SetInput(int index, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (index < 0 || index >= _inputs.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Layer '{Name}' has {_inputs.Count} inputs.");
        }

        _inputs[index] = tensor;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Type})";

    /// <summary>The output dimensions for these input dimensions; throws a <see cref="NetworkException"/> naming the layer.</summary>
    internal abstract TensorDims InferOutput(IReadOnlyList<TensorDims> inputs);

    /// <summary>Writes the parameters (not the inputs) for an engine file.</summary>
    internal abstract void WriteParameters(BinaryWriter writer);

    /// <summary>Precision trait: why this layer has no INT8 kernel, or null when it has one.</summary>
    internal virtual string? Int8Limit => null;

    /// <summary>
    /// Precision trait: why this layer has no INT8 kernel in a build with or without integer-only math; a layer whose only
    /// INT8 form is the integer-only one (LRN, hard sigmoid, scale) has one only when <paramref name="integerOnly"/> is set.
    /// </summary>
    internal virtual string? Int8LimitIn(bool integerOnly) => Int8Limit;

    /// <summary>
    /// Integer-only trait: why this layer's INT8 step still computes with float (so an engine built with
    /// <c>BuilderConfig.IntegerOnly</c> refuses it), or null when its INT8 step has an integer-only form (the builder
    /// then selects it: Q31 multiplier and rounding shift requantize, tables built with integers, integer softmax).
    /// Layers without an INT8 kernel report <see cref="Int8Limit"/>.
    /// </summary>
    internal virtual string? IntegerOnlyLimit => Int8Limit ?? $"layer type {Type} has no integer-only INT8 form";

    /// <summary>
    /// Integer-only trait: the fixed threshold of the int8 output this layer writes in an integer-only engine where its
    /// INT8 output is otherwise float (<see cref="Int8OutputIsFloat"/>; softmax: probabilities as 127·p, T = 1); null for
    /// a layer without such a form.
    /// </summary>
    internal virtual float? IntegerOnlyOutputThreshold => null;

    /// <summary>Precision trait: in INT8 the output keeps the input's scale (the values are the same).</summary>
    internal virtual bool Int8KeepsInputScale => false;

    /// <summary>Precision trait: in INT8 the output is float (the layer dequantizes as it computes).</summary>
    internal virtual bool Int8OutputIsFloat => false;

    /// <summary>Precision trait: INT8 needs a run-time input (weights layers do not quantize a constant input).</summary>
    internal virtual bool Int8NeedsRuntimeInput => false;

    /// <summary>
    /// Precision trait: the activation this layer applies when, run INT8 as the sole reader of a producer that fuses it,
    /// it gives the producer's output its own output scale (a ReLU: max(q, 0) is then exact, so fusing it changes no
    /// bit), and lends that scale to a producer output without a range of its own; null for every other layer.
    /// </summary>
    internal virtual ActivationSpec? Int8SharesScaleWithProducer => null;

    /// <summary>Graph trait: whether input <paramref name="index"/> may be a build-time constant the step reads as float.</summary>
    internal virtual bool AcceptsConstantInput(int index) => false;

    /// <summary>
    /// Memory trait: whether the output (shape <paramref name="output"/>) can be a view of the input's bytes
    /// (shape <paramref name="input"/>) with no copy, both with batch 1; null for a layer that always writes its own output.
    /// </summary>
    internal virtual bool? OutputIsView(TensorShape input, TensorShape output) => null;

    /// <summary>Fusion trait: the activation this layer applies, which the step before it may fuse; null when it is none.</summary>
    internal virtual ActivationSpec? FusibleActivation => null;

    /// <summary>Fusion trait: whether <paramref name="activation"/> after this layer can be fused into its step.</summary>
    internal virtual bool FusesActivation(ActivationSpec activation, bool int8) => false;

    /// <summary>An INT8 step of this layer is a residual sum that may fuse into the convolution computing an operand.</summary>
    internal virtual bool IsResidualSum => false;

    /// <summary>An INT8 step of this layer can finish with a residual sum in its epilogue (<see cref="IsResidualSum"/>).</summary>
    internal virtual bool FusesResidualSum => false;

    /// <summary>
    /// Fusion trait: this layer with a per-channel (or uniform) scale y = x·scale(k) + shift(k) over its
    /// <paramref name="channels"/> output channels folded into its weights and bias, or null when it cannot absorb one.
    /// <paramref name="input"/> is its input's per-item dims.
    /// </summary>
    internal virtual Layer? FoldScale(Func<int, float> scale, Func<int, float> shift, int channels, TensorDims input) => null;

    /// <summary>
    /// Precision trait: this layer as an FP16 step runs it, its weights rounded to the nearest half (round-to-nearest-even,
    /// <c>HalfConvert.Round</c>) and its bias kept FP32 (added to the FP32 accumulator); itself for a layer without weights.
    /// </summary>
    internal virtual Layer WithHalfWeights() => this;

    /// <summary>Graph trait: the values of a layer that is a build-time constant (the plan stores them), else null.</summary>
    internal virtual float[]? ConstantValues => null;

    /// <summary>Graph trait: the layer the plan runs in place of this one (batch norm → its per-channel scale); itself by default.</summary>
    internal virtual Layer Lower() => this;

    /// <summary>Graph trait: the inputs commute, so the builder may put a constant first operand second (broadcast over the batch).</summary>
    internal virtual bool CommutesInputs => false;

    /// <summary>
    /// Graph trait: this layer as y = x·scale(k) + shift(k) per channel k (or uniform) that the weights layer before it may
    /// absorb (<see cref="FoldScale"/>), or null when it is not such a scale.
    /// </summary>
    internal virtual (Func<int, float> Scale, Func<int, float> Shift)? FoldableScale => null;

    /// <summary>Graph trait: the layer only relabels dimensions (reshape, flatten): NCHW element order is unchanged.</summary>
    internal virtual bool IsReshape => false;

    /// <summary>Graph trait: a flatten (reshape to C·H·W × 1 × 1) before this layer can be skipped (its weights are in flatten order).</summary>
    internal virtual bool AbsorbsFlatten => false;

    /// <summary>
    /// Build-time constant folding: this layer's FP32 output (one item, NCHW) for constant <paramref name="inputs"/> of
    /// per-item dims <paramref name="dims"/>. Layers without it (the weight, window and normalization layers) refuse
    /// with a <see cref="NetworkException"/> naming the layer.
    /// </summary>
    internal virtual float[] EvaluateConstant(IReadOnlyList<float[]> inputs, IReadOnlyList<TensorDims> dims) =>
        throw Error("all its inputs are constants, but this layer type cannot be evaluated at build time (constant folding): give it a run-time input, or compute the constant before building.");

    /// <summary>
    /// Resource trait: bytes of the weights and biases this layer's step uploads to the device (1 byte an INT8 weight, 4 a
    /// float weight, 4 a bias), in checked arithmetic; 0 for a layer without weights.
    /// </summary>
    internal virtual long WeightBytes(bool int8) => 0;

    /// <summary>Bytes of a weight array and an optional bias: |w|·(1 or 4) + |b|·4, checked.</summary>
    private protected static long WeightBytes(float[] weights, float[]? bias, bool int8) =>
        checked((weights.LongLength * (int8 ? 1 : 4)) + ((bias?.LongLength ?? 0) * 4));

    /// <summary>A <see cref="NetworkException"/> naming this layer.</summary>
    private protected NetworkException Error(string message) => new(Name, $"({Type}) {message}");

    /// <summary>Throws unless exactly <paramref name="count"/> inputs are given.</summary>
    private protected void ExpectInputs(IReadOnlyList<TensorDims> inputs, int count)
    {
        if (inputs.Count != count)
        {
            throw Error($"expects {count} input(s), got {inputs.Count}.");
        }
    }

    /// <summary>Throws unless <paramref name="values"/> holds <paramref name="expected"/> finite values.</summary>
    private protected void CheckArray(float[]? values, long expected, string what, bool optional = false)
    {
        if (values is null)
        {
            if (!optional)
            {
                throw Error($"{what} is missing.");
            }

            return;
        }

        if (values.LongLength != expected)
        {
            throw Error($"{what} has {values.LongLength} values; {expected} are needed.");
        }

        for (var i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                throw Error($"{what}[{i}] = {values[i]} is not finite.");
            }
        }
    }
}
