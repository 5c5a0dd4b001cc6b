using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Onnx;

/// <summary>ConvTranspose → a deconvolution layer.</summary>
public sealed partial record DeconvolutionSpec
{
    internal override Layer AddTo(OnnxNetworkAdapter adapter, string name) => adapter.Deconvolution(this, adapter.In(0), name);
}
