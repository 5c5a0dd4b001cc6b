using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Onnx;

/// <summary>
/// What one imported layer computes, with ONNX semantics already resolved (opset differences, auto_pad,
/// attribute-versus-input forms, defaults). Shapes are NCHW-style with the batch at dimension 0.
/// </summary>
public abstract record LayerSpec
{
    /// <summary>A short name of the layer kind ("Convolution").</summary>
    public abstract string Kind { get; }

    /// <summary>
    /// Adds the engine layer computing this spec to the adapter's network (its inputs through
    /// <see cref="OnnxNetworkAdapter.In"/>), named <paramref name="name"/>; null when nothing runs (a constant, used
    /// where it is read). Each operator's folder defines its spec's method beside its mapper.
    /// </summary>
    internal abstract Layer? AddTo(OnnxNetworkAdapter adapter, string name);

    /// <summary>
    /// The same computation on tensors taken whole as one batch item (<see cref="OnnxImportOptions.UnitBatch"/>): each
    /// input [d0, …] becomes [1, d0, …], so an axis a becomes a + 1; <paramref name="inputShapes"/> are the ONNX shapes
    /// before that. Null when the spec needs dimension 0 as a batch of items (the default).
    /// </summary>
    internal virtual LayerSpec? WithUnitBatch(IReadOnlyList<IReadOnlyList<long>> inputShapes) => null;
}

/// <summary>
/// Int8 weights taken from a QDQ model: w ≈ (q − zeroPoint[c]) · scale[c] along <see cref="Axis"/>
/// (one scale for the whole tensor when <see cref="Scales"/> has one element).
/// </summary>
/// <param name="Values">The integer weights as in the file (int8 or uint8 values), same order as the float weights.</param>
/// <param name="Scales">Scale per slice of <see cref="Axis"/>, or one.</param>
/// <param name="ZeroPoints">Zero point per slice, or one.</param>
/// <param name="Axis">The quantized axis (0 = output channels for Conv/FC weights).</param>
/// <param name="Type">Int8 or UInt8.</param>
public sealed record QuantizedWeights(long[] Values, float[] Scales, long[] ZeroPoints, int Axis, OnnxDataType Type)
{
    /// <summary>True when every zero point is 0 (int8) or 128 (uint8): symmetric, exactly representable in int8 here.</summary>
    public bool IsSymmetric => ZeroPoints.All(z => Type == OnnxDataType.Int8 ? z == 0 : z == 128);
}

/// <summary>
/// 2-D convolution, ONNX Conv: y[n,k,p,q] = bias[k] + Σ x[n, g·C/G + c, p·sh − top + r·dh, q·sw − left + s·dw] · W[k,c,r,s]
/// with zeros outside the input. Weights KCRS [K][C/groups][R][S].
/// </summary>
/// <param name="Weights">KCRS float weights (dequantized when the model is QDQ).</param>
/// <param name="WeightDims">[K, C/groups, R, S].</param>
/// <param name="Bias">K values or null.</param>
/// <param name="Stride">(sh, sw).</param>
/// <param name="Pads">Zero padding (top, left, bottom, right); may be asymmetric.</param>
/// <param name="Dilation">(dh, dw).</param>
/// <param name="Groups">Groups.</param>
/// <param name="Int8Weights">The QDQ int8 weights, when the model carries them.</param>
public sealed partial record ConvolutionSpec(float[] Weights, int[] WeightDims, float[]? Bias, (int H, int W) Stride,
    (int Top, int Left, int Bottom, int Right) Pads, (int H, int W) Dilation, int Groups, QuantizedWeights? Int8Weights) : LayerSpec
{
    /// <inheritdoc />
    public override string Kind => "Convolution";

    /// <summary>Output channels K.</summary>
    public int OutputChannels => WeightDims[0];

    /// <summary>Filter (R, S).</summary>
    public (int H, int W) Kernel => (WeightDims[2], WeightDims[3]);
}

/// <summary>
/// 2-D transposed convolution, ONNX ConvTranspose: each input pixel scatters x[n,c,h,w]·W[c,k,r,s] to
/// y[n, g·K/G + k, h·sh − top + r·dh, w·sw − left + s·dw]; output H = sh·(H−1) + outPad + dh·(R−1) + 1 − top − bottom.
/// Weights [C][K/groups][R][S].
/// </summary>
/// <param name="Weights">[C, K/groups, R, S] float weights.</param>
/// <param name="WeightDims">[C, K/groups, R, S].</param>
/// <param name="Bias">K values or null.</param>
/// <param name="Stride">(sh, sw).</param>
/// <param name="Pads">Cropping of the full output (top, left, bottom, right).</param>
/// <param name="OutputPadding">Extra rows/columns added at the bottom/right (ONNX output_padding).</param>
/// <param name="Dilation">(dh, dw).</param>
/// <param name="Groups">Groups.</param>
/// <param name="Int8Weights">The QDQ int8 weights, when present.</param>
public sealed partial record DeconvolutionSpec(float[] Weights, int[] WeightDims, float[]? Bias, (int H, int W) Stride,
    (int Top, int Left, int Bottom, int Right) Pads, (int H, int W) OutputPadding, (int H, int W) Dilation, int Groups,
    QuantizedWeights? Int8Weights) : LayerSpec
{
    /// <inheritdoc />
    public override string Kind => "Deconvolution";

    /// <summary>Output channels K.</summary>
    public int OutputChannels => WeightDims[1] * Groups;
}

/// <summary>Fully connected on a [N, K] input: y[n, m] = bias[m] + Σ_k x[n, k] · W[m, k] (Gemm with transB folded in).</summary>
/// <param name="Weights">[M, K] row-major (output-major, like PyTorch Linear).</param>
/// <param name="OutputCount">M.</param>
/// <param name="InputCount">K.</param>
/// <param name="Bias">M values or null.</param>
/// <param name="Int8Weights">The QDQ int8 weights in [M, K] order with axis 0, when present.</param>
public sealed partial record FullyConnectedSpec(float[] Weights, int OutputCount, int InputCount, float[]? Bias,
    QuantizedWeights? Int8Weights) : LayerSpec
{
    /// <inheritdoc />
    public override string Kind => "FullyConnected";
}

/// <summary>Element-wise activations.</summary>
public enum OnnxActivation
{
    /// <summary>max(x, 0).</summary>
    Relu,
    /// <summary>x ≥ 0 ? x : alpha·x.</summary>
    LeakyRelu,
    /// <summary>1 / (1 + e^−x).</summary>
    Sigmoid,
    /// <summary>tanh x.</summary>
    Tanh,
    /// <summary>min(max(x, alpha), beta).</summary>
    Clip,
    /// <summary>x·max(0, min(1, x/6 + 1/2)) (HardSwish, or x·HardSigmoid(x) with alpha 1/6, beta 1/2).</summary>
    HardSwish,
    /// <summary>x / (1 + e^−x) (SiLU: x·Sigmoid(x)).</summary>
    Silu,
}

/// <summary>An element-wise activation.</summary>
/// <param name="Function">Which function.</param>
/// <param name="Alpha">Leaky slope, or clip minimum.</param>
/// <param name="Beta">Clip maximum.</param>
public sealed partial record ActivationLayerSpec(OnnxActivation Function, float Alpha = 0f, float Beta = 0f) : LayerSpec
{
    /// <inheritdoc />
    public override string Kind => "Activation";
}

/// <summary>
/// 2-D max or average pooling. Output H = ⌊(H + top + bottom − R) / sh⌋ + 1, or ⌈…⌉ + 1 with ceil mode (a window
/// that would start in the bottom/right padding is dropped). Average divides by the window's count of input pixels,
/// or of input-and-padding pixels with <see cref="CountIncludePad"/> (never counting what lies past the padding).
/// Global pooling covers the whole plane.
/// </summary>
/// <param name="Max">Max pooling when true, average when false.</param>
/// <param name="Window">(R, S); the plane size for global pooling.</param>
/// <param name="Stride">(sh, sw).</param>
/// <param name="Pads">(top, left, bottom, right).</param>
/// <param name="CeilMode">Round the output size up.</param>
/// <param name="CountIncludePad">Average counts padding pixels.</param>
/// <param name="Global">Global pooling (output 1×1).</param>
public sealed partial record PoolingSpec(bool Max, (int H, int W) Window, (int H, int W) Stride,
    (int Top, int Left, int Bottom, int Right) Pads, bool CeilMode, bool CountIncludePad, bool Global) : LayerSpec
{
    /// <inheritdoc />
    public override string Kind => Global ? (Max ? "GlobalMaxPool" : "GlobalAveragePool") : (Max ? "MaxPool" : "AveragePool");
}

/// <summary>How a <see cref="ScaleSpec"/>'s coefficients are indexed.</summary>
public enum ScaleMode
{
    /// <summary>One coefficient for the whole tensor.</summary>
    PerTensor,
    /// <summary>One per channel (dimension 1).</summary>
    PerChannel,
    /// <summary>One per element of a batch item.</summary>
    PerElement,
}

/// <summary>y = (x · scale + shift) ^ power (power 1 when <see cref="Power"/> is null): BatchNormalization, and Add/Mul by a constant.</summary>
/// <param name="Mode">Indexing of the coefficients.</param>
/// <param name="Scale">Multipliers.</param>
/// <param name="Shift">Addends.</param>
/// <param name="Power">Exponents, or null for 1.</param>
public sealed partial record ScaleSpec(ScaleMode Mode, float[] Scale, float[] Shift, float[]? Power = null) : LayerSpec
{
    /// <inheritdoc />
    public override string Kind => "Scale";
}

/// <summary>Binary element-wise operations.</summary>
public enum OnnxElementWise
{
    /// <summary>a + b.</summary>
    Sum,
    /// <summary>a · b.</summary>
    Product,
    /// <summary>max(a, b).</summary>
    Max,
}

/// <summary>A binary element-wise operation with numpy (multidirectional) broadcasting.</summary>
/// <param name="Operation">The operation.</param>
public sealed partial record ElementWiseSpec(OnnxElementWise Operation) : LayerSpec
{
    /// <inheritdoc />
    public override string Kind => "ElementWise";
}

/// <summary>
/// Local response normalization across channels, ONNX LRN:
/// y = x / (bias + alpha / size · Σ_{c' ∈ [c − ⌊(size−1)/2⌋, c + ⌈(size−1)/2⌉]} x[c']²) ^ beta.
/// </summary>
/// <param name="Size">Window (channels).</param>
/// <param name="Alpha">Alpha (divided by size in the formula).</param>
/// <param name="Beta">Beta.</param>
/// <param name="Bias">Bias (k).</param>
public sealed partial record LrnSpec(int Size, float Alpha, float Beta, float Bias) : LayerSpec
{
    /// <inheritdoc />
    public override string Kind => "LRN";
}

/// <summary>Softmax along one axis: y = e^(x − max) / Σ e^(x − max).</summary>
/// <param name="Axis">Non-negative axis (≥ 1: never the batch).</param>
public sealed partial record SoftMaxSpec(int Axis) : LayerSpec
{
    /// <inheritdoc />
    public override string Kind => "SoftMax";
}

/// <summary>Concatenation along one axis.</summary>
/// <param name="Axis">Non-negative axis (≥ 1).</param>
public sealed partial record ConcatenationSpec(int Axis) : LayerSpec
{
    /// <inheritdoc />
    public override string Kind => "Concatenation";
}

/// <summary>A view with another shape and the same elements in C order; the output tensor's shape is the target.</summary>
public sealed partial record ReshapeSpec : LayerSpec
{
    /// <inheritdoc />
    public override string Kind => "Reshape";
}

/// <summary>Constant padding: <see cref="Begin"/>[d] values before and <see cref="End"/>[d] after along each dimension.</summary>
/// <param name="Begin">Per dimension (the batch entry is 0).</param>
/// <param name="End">Per dimension.</param>
/// <param name="Value">The fill value.</param>
public sealed partial record PaddingSpec(int[] Begin, int[] End, float Value) : LayerSpec
{
    /// <inheritdoc />
    public override string Kind => "Padding";
}

/// <summary>A constant tensor used as a layer input (its first dimension is not a batch).</summary>
/// <param name="Value">The values.</param>
public sealed partial record ConstantSpec(OnnxTensor Value) : LayerSpec
{
    /// <inheritdoc />
    public override string Kind => "Constant";
}
