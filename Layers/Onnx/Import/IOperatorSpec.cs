namespace ILGPUInt8.Layers.Onnx;

/// <summary>
/// A spec defined in its operator's folder (<c>Layers/Operators/</c>) that needs no central switch: it adds its own
/// layer to the network (<see cref="OnnxNetworkAdapter"/>).
/// </summary>
internal interface IOperatorSpec
{
    /// <summary>Adds the layer computing this spec on <paramref name="inputs"/> (the node's inputs in order).</summary>
    Layer AddTo(NetworkDefinition network, IReadOnlyList<Tensor> inputs, string name);
}
