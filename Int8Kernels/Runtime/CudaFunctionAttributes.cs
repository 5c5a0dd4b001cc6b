using System.Runtime.InteropServices;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace ILGPUInt8.Kernels.Runtime;

/// <summary>
/// Per-kernel driver attributes that ILGPU 1.5.3 does not expose. Dynamic shared memory above 48 KB per group
/// needs <c>cuFuncSetAttribute(f, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes)</c> once per loaded kernel.
/// </summary>
internal static partial class CudaFunctionAttributes
{
    private const int MaxDynamicSharedSizeBytes = 8;

    /// <summary>
    /// Lets the kernel behind <paramref name="launcher"/> request up to <paramref name="bytes"/> of dynamic shared
    /// memory (no-op off CUDA). Throws when the driver refuses (more than the device's opt-in limit).
    /// </summary>
    public static void AllowDynamicSharedMemory(Delegate launcher, int bytes)
    {
        if (KernelUtil.TryGetKernel(launcher, out var kernel))
        {
            AllowDynamicSharedMemory(kernel, bytes);
        }
    }

    /// <summary>The same for a loaded kernel object (no-op off CUDA).</summary>
    public static void AllowDynamicSharedMemory(Kernel kernel, int bytes)
    {
        if (kernel is not CudaKernel cuda)
        {
            return;
        }

        int status = CuFuncSetAttribute(cuda.FunctionPtr, MaxDynamicSharedSizeBytes, bytes);
        if (status != 0)
        {
            throw new InvalidOperationException($"cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES, {bytes}) failed with CUDA error {status}.");
        }
    }

    [LibraryImport("libcuda.so.1", EntryPoint = "cuFuncSetAttribute")]
    private static partial int CuFuncSetAttribute(IntPtr function, int attribute, int value);
}
