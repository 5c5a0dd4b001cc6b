using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Network;

/// <summary>The network builder method of the Pooling operator.</summary>
public sealed partial class NetworkDefinition
{
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
}
