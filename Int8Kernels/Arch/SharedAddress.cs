using System.Runtime.CompilerServices;
using ILGPU.Runtime.Cuda;

namespace ILGPUInt8.Kernels.Arch;

/// <summary>
/// The 32-bit shared-window address of ILGPU's dynamic shared memory (<c>mov.u32 %0, __dyn_shared_alloca;</c>),
/// for instructions that take shared addresses (<see cref="LdMatrix"/>, <see cref="CpAsync"/>). The kernel must
/// also use <c>SharedMemory.GetDynamic</c> so that ILGPU declares the array. 0 on the CPU accelerator, whose
/// fallbacks address the dynamic shared view by byte offset instead.
/// </summary>
internal static class SharedAddress
{
    /// <summary>Shared-window address of byte 0 of the dynamic shared memory (0 off the GPU).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint DynamicBase()
    {
        return CudaAsm.IsSupported ? default(PtxTensorCore).DynamicSharedBase() : 0;
    }
}
