using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Network;

/// <summary>
/// A chain of layers: each call adds one layer to the network, fed by the previous output, and returns the builder;
/// <see cref="Output"/> is the last tensor. <c>net.Sequential(x).Convolution(…).Relu().MaxPool(2).Output</c>.
/// </summary>
public sealed class SequentialBuilder
{
    private readonly NetworkDefinition _network;

    internal SequentialBuilder(NetworkDefinition network, Tensor input)
    {
        _network = network;
        Output = input;
    }

    /// <summary>The current end of the chain.</summary>
    public Tensor Output { get; private set; }

    /// <summary>The last layer added (null before the first).</summary>
    public Layer? Last { get; private set; }

    /// <summary>Adds a convolution.</summary>
    public SequentialBuilder Convolution(int outputChannels, Size2 kernel, float[] weights, float[]? bias = null, Size2? stride = null, Size2? padding = null, int groups = 1, string? name = null) =>
        Then(_network.AddConvolution(Output, outputChannels, kernel, weights, bias, stride, padding, null, groups, name));

    /// <summary>Adds a fully connected layer.</summary>
    public SequentialBuilder FullyConnected(int outputs, float[] weights, float[]? bias = null, string? name = null) =>
        Then(_network.AddFullyConnected(Output, outputs, weights, bias, name));

    /// <summary>Adds an activation.</summary>
    public SequentialBuilder Activation(ActivationKind kind, float alpha = 0f, float beta = 0f, string? name = null) =>
        Then(_network.AddActivation(Output, kind, alpha, beta, name));

    /// <summary>Adds a ReLU.</summary>
    public SequentialBuilder Relu(string? name = null) => Activation(ActivationKind.Relu, name: name);

    /// <summary>Adds max pooling (stride = window unless given).</summary>
    public SequentialBuilder MaxPool(Size2 window, Size2? stride = null, Size2? padding = null, string? name = null) =>
        Then(_network.AddPooling(Output, PoolingType.Max, window, stride, padding, name: name));

    /// <summary>Adds average pooling.</summary>
    public SequentialBuilder AveragePool(Size2 window, Size2? stride = null, Size2? padding = null, bool countPadding = false, string? name = null) =>
        Then(_network.AddPooling(Output, PoolingType.Average, window, stride, padding, countPadding, name: name));

    /// <summary>Adds global average pooling.</summary>
    public SequentialBuilder GlobalAveragePool(string? name = null) => Then(_network.AddGlobalPooling(Output, PoolingType.Average, name));

    /// <summary>Adds batch normalization.</summary>
    public SequentialBuilder BatchNorm(float[] mean, float[] variance, float[] gamma, float[] beta, float epsilon = 1e-5f, string? name = null) =>
        Then(_network.AddBatchNormalization(Output, mean, variance, gamma, beta, epsilon, name));

    /// <summary>Adds a flatten.</summary>
    public SequentialBuilder Flatten(string? name = null) => Then(_network.AddFlatten(Output, name));

    /// <summary>Adds a softmax.</summary>
    public SequentialBuilder SoftMax(string? name = null) => Then(_network.AddSoftMax(Output, name));

    /// <summary>Adds any layer built from the current output.</summary>
    public SequentialBuilder Then(Func<NetworkDefinition, Tensor, Layer> add)
    {
        ArgumentNullException.ThrowIfNull(add);
        return Then(add(_network, Output));
    }

    /// <summary>Marks the current output as a network output.</summary>
    public Tensor MarkOutput()
    {
        _network.MarkOutput(Output);
        return Output;
    }

    private SequentialBuilder Then(Layer layer)
    {
        Last = layer;
        Output = layer.Output;
        return this;
    }
}
