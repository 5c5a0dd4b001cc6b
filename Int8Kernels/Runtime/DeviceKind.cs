namespace ILGPUInt8.Kernels.Runtime;

/// <summary>Which ILGPU accelerator a <see cref="Int8Device"/> runs on.</summary>
public enum DeviceKind
{
    /// <summary>CUDA when a device is present, else the CPU accelerator; <c>ILGPUINT8_DEVICE</c> overrides.</summary>
    Auto,

    /// <summary>ILGPU's CPU accelerator (every GPU thread simulated; the reference runtime in tests).</summary>
    Cpu,

    /// <summary>The first CUDA device.</summary>
    Cuda,
}
