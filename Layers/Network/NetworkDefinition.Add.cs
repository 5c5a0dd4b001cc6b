using ILGPUInt8.Kernels.Ops;

namespace ILGPUInt8.Layers;

/// <summary>The layer builder methods.</summary>
public sealed partial class NetworkDefinition
{
    /// <summary>Adds a convolution; weights KCRS [K][C/groups][R][S], bias K values or null.</summary>
    public ConvolutionLayer AddConvolution(
        Tensor input, int outputChannels, Size2 kernel, float[] weights, float[]? bias = null,
        Size2? stride = null, Size2? padding = null, Size2? dilation = null, int groups = 1, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        return Add(new ConvolutionLayer(
            LayerName(name, LayerType.Convolution), [input], outputChannels, kernel, Copy(weights)!, Copy(bias),
            stride ?? 1, padding ?? 0, dilation ?? 1, groups));
    }

    /// <summary>Adds a transposed convolution; weights [C][K/groups][R][S], bias K values or null.</summary>
    public DeconvolutionLayer AddDeconvolution(
        Tensor input, int outputChannels, Size2 kernel, float[] weights, float[]? bias = null,
        Size2? stride = null, Size2? padding = null, Size2? outputPadding = null, Size2? dilation = null, int groups = 1, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        return Add(new DeconvolutionLayer(
            LayerName(name, LayerType.Deconvolution), [input], outputChannels, kernel, Copy(weights)!, Copy(bias),
            stride ?? 1, padding ?? 0, outputPadding ?? 0, dilation ?? 1, groups));
    }

    /// <summary>Adds a fully connected layer; weights [K][C·H·W] (NCHW flatten order), bias K values or null.</summary>
    public FullyConnectedLayer AddFullyConnected(Tensor input, int outputs, float[] weights, float[]? bias = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        return Add(new FullyConnectedLayer(LayerName(name, LayerType.FullyConnected), [input], outputs, Copy(weights)!, Copy(bias)));
    }

    /// <summary>Adds an activation: alpha is the leaky slope or clip minimum, beta the clip maximum.</summary>
    public ActivationLayer AddActivation(Tensor input, ActivationKind kind, float alpha = 0f, float beta = 0f, string? name = null) =>
        Add(new ActivationLayer(LayerName(name, LayerType.Activation), [input], Spec(kind, alpha, beta)));

    /// <summary>
    /// Adds a pooling layer. Stride defaults to the window; average pooling counts padding positions in the divisor when
    /// <paramref name="countPadding"/> (PyTorch's default), else divides by the valid positions (ONNX's default).
    /// </summary>
    public PoolingLayer AddPooling(
        Tensor input, PoolingType type, Size2 window, Size2? stride = null, Size2? padding = null, bool countPadding = false, bool ceilMode = false, string? name = null) =>
        Add(new PoolingLayer(LayerName(name, LayerType.Pooling), [input], type, window, stride ?? window, padding ?? 0, countPadding, ceilMode, global: false));

    /// <summary>
    /// Adds a pooling layer with padding <paramref name="paddingBegin"/> at the top/left and <paramref name="paddingEnd"/>
    /// at the bottom/right (ONNX's explicit pads; each below the window); average with <paramref name="countPadding"/>
    /// counts the padding positions inside the window, not those a ceil-mode window reaches past the end padding.
    /// </summary>
    public PoolingLayer AddPooling(
        Tensor input, PoolingType type, Size2 window, Size2 stride, Size2 paddingBegin, Size2 paddingEnd, bool countPadding, bool ceilMode, string? name = null) =>
        Add(new PoolingLayer(LayerName(name, LayerType.Pooling), [input], type, window, stride, paddingBegin, countPadding, ceilMode, global: false, paddingEnd));

    /// <summary>Adds a global pooling layer (window = the whole input, output (C, 1, 1)).</summary>
    public PoolingLayer AddGlobalPooling(Tensor input, PoolingType type, string? name = null) =>
        Add(new PoolingLayer(LayerName(name, LayerType.Pooling), [input], type, 1, 1, 0, countPadding: false, ceilMode: false, global: true));

    /// <summary>Adds y = (x·scale + shift)^power; null arrays mean scale 1, shift 0, power 1.</summary>
    public ScaleLayer AddScale(Tensor input, ScaleMode mode, float[]? scale, float[]? shift = null, float[]? power = null, string? name = null) =>
        Add(new ScaleLayer(LayerName(name, LayerType.Scale), [input], mode, Copy(scale), Copy(shift), Copy(power)));

    /// <summary>Adds inference batch normalization (per channel).</summary>
    public BatchNormLayer AddBatchNormalization(Tensor input, float[] mean, float[] variance, float[] gamma, float[] beta, float epsilon = 1e-5f, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(variance);
        ArgumentNullException.ThrowIfNull(gamma);
        ArgumentNullException.ThrowIfNull(beta);
        return Add(new BatchNormLayer(LayerName(name, LayerType.BatchNormalization), [input], Copy(mean)!, Copy(variance)!, Copy(gamma)!, Copy(beta)!, epsilon));
    }

    /// <summary>Adds a sum, product or max of two tensors of equal dimensions.</summary>
    public ElementWiseLayer AddElementWise(Tensor a, Tensor b, ElementWiseOperation operation, string? name = null) =>
        Add(new ElementWiseLayer(LayerName(name, LayerType.ElementWise), [a, b], operation));

    /// <summary>Adds LRN across channels.</summary>
    public LrnLayer AddLrn(Tensor input, int window, float alpha, float beta, float k, string? name = null) =>
        Add(new LrnLayer(LayerName(name, LayerType.Lrn), [input], window, alpha, beta, k));

    /// <summary>Adds a softmax across channels.</summary>
    public SoftMaxLayer AddSoftMax(Tensor input, string? name = null) => AddSoftMax(input, ItemAxis.Channel, name);

    /// <summary>Adds a softmax along <paramref name="axis"/> (FP32 only unless along channels).</summary>
    public SoftMaxLayer AddSoftMax(Tensor input, ItemAxis axis, string? name = null) =>
        Add(new SoftMaxLayer(LayerName(name, LayerType.SoftMax), [input], axis));

    /// <summary>Adds a concatenation along channels.</summary>
    public ConcatenationLayer AddConcatenation(IReadOnlyList<Tensor> inputs, string? name = null) => AddConcatenation(inputs, ItemAxis.Channel, name);

    /// <summary>Adds a concatenation along <paramref name="axis"/> (the inputs agree on the other two dimensions).</summary>
    public ConcatenationLayer AddConcatenation(IReadOnlyList<Tensor> inputs, ItemAxis axis, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return Add(new ConcatenationLayer(LayerName(name, LayerType.Concatenation), inputs, axis));
    }

    /// <summary>Adds (C, H, W) → (C·H·W, 1, 1).</summary>
    public ReshapeLayer AddFlatten(Tensor input, string? name = null) => Add(new ReshapeLayer(LayerName(name, LayerType.Flatten), [input], null));

    /// <summary>Adds a reshape to <paramref name="dims"/> (same volume, C-order).</summary>
    public ReshapeLayer AddReshape(Tensor input, TensorDims dims, string? name = null) => Add(new ReshapeLayer(LayerName(name, LayerType.Reshape), [input], dims));

    /// <summary>Adds constant padding: <paramref name="prePadding"/> = (top, left), <paramref name="postPadding"/> = (bottom, right).</summary>
    public PaddingLayer AddPadding(Tensor input, Size2 prePadding, Size2 postPadding, float value = 0f, string? name = null) =>
        Add(new PaddingLayer(LayerName(name, LayerType.Padding), [input], prePadding, postPadding, value));

    /// <summary>Adds a constant tensor (values NCHW, the same for every batch item).</summary>
    public ConstantLayer AddConstant(TensorDims dims, float[] values, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        return Add(new ConstantLayer(LayerName(name, LayerType.Constant), dims, Copy(values)!));
    }
}
