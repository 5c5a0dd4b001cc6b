using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Tests.Ops;

/// <summary>Upload/download helpers for operator tests.</summary>
internal static class OpTestDevice
{
    /// <summary>A device buffer holding <paramref name="data"/>.</summary>
    public static MemoryBuffer1D<T, Stride1D.Dense> Upload<T>(Int8Device device, T[] data)
        where T : unmanaged =>
        device.Accelerator.Allocate1D(data);

    /// <summary>A zeroed device buffer of <paramref name="length"/> elements.</summary>
    public static MemoryBuffer1D<T, Stride1D.Dense> Zeros<T>(Int8Device device, long length)
        where T : unmanaged
    {
        var buffer = device.Accelerator.Allocate1D<T>(length);
        buffer.MemSetToZero();
        return buffer;
    }

    /// <summary>The buffer's contents after the device finished.</summary>
    public static T[] Read<T>(Int8Device device, MemoryBuffer1D<T, Stride1D.Dense> buffer)
        where T : unmanaged
    {
        device.Synchronize();
        return buffer.GetAsArray1D();
    }
}
