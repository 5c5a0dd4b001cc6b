using ILGPU;
using ILGPUInt8.Kernels.Tensors;

namespace ILGPUInt8.Layers.Runtime;

/// <summary>Sees every float tensor of an FP32 run, in execution order, on the device (NHWC data, logical NCHW shape).</summary>
public interface ITensorObserver
{
    /// <summary>
    /// Called after the tensor is computed, with its device data (valid until the engine's next step; work queued on the
    /// device's default stream from here runs before that step).
    /// </summary>
    void Observe(string tensorName, ArrayView<float> values, TensorShape shape);
}
