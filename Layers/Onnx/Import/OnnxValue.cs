namespace ILGPUInt8.Layers.Onnx;

/// <summary>What an ONNX tensor name stands for during the import.</summary>
internal abstract record OnnxValue;

/// <summary>
/// A value known at import time (initializer, Constant, folded shape arithmetic). Integer values may hold
/// <see cref="OnnxShapes.BatchMarker"/> for a dynamic batch size. <see cref="Quant"/> is set for weights
/// that came through DequantizeLinear (the float values are the dequantized ones).
/// </summary>
internal sealed record ConstantValue(OnnxTensor Tensor, QuantizedWeights? Quant = null) : OnnxValue;

/// <summary>A tensor computed by the network at run time.</summary>
internal sealed record RuntimeValue(ImportedTensor Tensor) : OnnxValue;

/// <summary>
/// The output of QuantizeLinear on a run-time tensor: only a DequantizeLinear may read it; the pair
/// becomes the source tensor with a dynamic range.
/// </summary>
internal sealed record QuantizedRuntimeValue(ImportedTensor Source, float Scale, long ZeroPoint, OnnxDataType Type, string QuantizeNode) : OnnxValue;
