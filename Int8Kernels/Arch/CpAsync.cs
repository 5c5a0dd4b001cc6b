using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime.Cuda;

namespace ILGPUInt8.Kernels.Arch;

/// <summary>
/// Asynchronous global → shared copies (sm_80+): <c>cp.async.cg.shared.global [dst], [src], 16, srcBytes;</c>
/// copies srcBytes (0..16) bytes and zero-fills the rest of the 16 (srcBytes = 0 reads nothing: the predicated-off
/// form); <c>cp.async.commit_group</c> closes a group of copies, <c>cp.async.wait_group N</c> waits until at most N
/// groups are still in flight. Both addresses must be 16-byte aligned.
/// The fallback copies at once through ordinary memory, so commit and wait do nothing (CPU accelerator);
/// a barrier is still needed before other threads read the copied bytes, as on the GPU.
/// </summary>
internal static class CpAsync
{
    /// <summary>
    /// Copies <paramref name="srcBytes"/> bytes of <paramref name="global"/> from byte <paramref name="globalOffset"/>
    /// into the dynamic shared memory at byte <paramref name="sharedOffset"/>, zero-filling the rest of 16 bytes.
    /// On the GPU the addresses are <paramref name="sharedBase"/> + sharedOffset (see <see cref="SharedAddress.DynamicBase"/>)
    /// and <paramref name="globalAddress"/> (the device address of <paramref name="global"/>[0]) + globalOffset.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Copy16(
        ArrayView<int> shared, uint sharedBase, int sharedOffset, ArrayView<sbyte> global, long globalAddress, long globalOffset, int srcBytes)
    {
        if (CudaAsm.IsSupported)
        {
            Copy16Ptx(sharedBase, sharedOffset, globalAddress, globalOffset, srcBytes);
            return;
        }

        Copy16Emulated(shared, sharedOffset, global, globalOffset, srcBytes);
    }

    /// <summary>The PTX instruction alone (CUDA only): shared address sharedBase + sharedOffset, global globalAddress + globalOffset.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Copy16Ptx(uint sharedBase, int sharedOffset, long globalAddress, long globalOffset, int srcBytes) =>
        CudaAsm.Emit(
            "cp.async.cg.shared.global [%0], [%1], 16, %2;",
            sharedBase + (uint)sharedOffset,
            globalAddress + globalOffset,
            srcBytes);

    /// <summary>The same copy done at once through ordinary reads and writes (any accelerator).</summary>
    public static void Copy16Emulated(ArrayView<int> shared, int sharedOffset, ArrayView<sbyte> global, long globalOffset, int srcBytes)
    {
        var bytes = shared.Cast<sbyte>();
        for (int i = 0; i < 16; i++)
        {
            bytes[sharedOffset + i] = i < srcBytes ? global[globalOffset + i] : (sbyte)0;
        }
    }

    /// <summary>Closes the copies issued so far by this thread into one group (<c>cp.async.commit_group</c>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CommitGroup()
    {
        if (CudaAsm.IsSupported)
        {
            default(PtxTensorCore).CommitGroup();
        }
    }

    /// <summary>Waits until all of this thread's groups have landed (<c>cp.async.wait_group 0</c>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WaitAll()
    {
        if (CudaAsm.IsSupported)
        {
            default(PtxTensorCore).WaitAll();
        }
    }

    /// <summary>Waits until at most one of this thread's groups is in flight (<c>cp.async.wait_group 1</c>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WaitGroup1()
    {
        if (CudaAsm.IsSupported)
        {
            default(PtxTensorCore).WaitGroup1();
        }
    }

    /// <summary>Waits until at most two of this thread's groups are in flight (<c>cp.async.wait_group 2</c>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WaitGroup2()
    {
        if (CudaAsm.IsSupported)
        {
            default(PtxTensorCore).WaitGroup2();
        }
    }

    /// <summary>Waits until at most three of this thread's groups are in flight (<c>cp.async.wait_group 3</c>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WaitGroup3()
    {
        if (CudaAsm.IsSupported)
        {
            default(PtxTensorCore).WaitGroup3();
        }
    }
}
