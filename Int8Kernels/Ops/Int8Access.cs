using ILGPU;
using ILGPU.Runtime.Cuda;

namespace ILGPUInt8.Kernels.Ops;

/// <summary>How a kernel reads int8 element i (a struct type parameter of the int8 softmax rows).</summary>
internal interface IInt8Access
{
    /// <summary>Element i, sign-extended.</summary>
    int X(long i);
}

/// <summary>Plain loads of an int8 view.</summary>
internal readonly struct Int8Access(ArrayView<sbyte> x) : IInt8Access
{
    public int X(long i) => x[i];
}

/// <summary>Plain loads of a view that holds elements [origin, origin + length) of the row space (a shared-memory copy).</summary>
internal readonly struct Int8ShiftedAccess(ArrayView<sbyte> x, long origin) : IInt8Access
{
    public int X(long i) => x[i - origin];
}

/// <summary>
/// Loads that bypass the multiprocessor's L1 cache (<c>ld.global.cg.s8</c>: cached in L2 only, which every
/// multiprocessor shares), for values other blocks of the same launch wrote (after a device-scope fence and an atomic
/// that orders them before this read); L1 is not coherent across multiprocessors. Address is the device address of
/// element 0. Off CUDA (the CPU accelerator's shared memory is coherent) plain loads.
/// </summary>
internal readonly struct Int8L2Access(ArrayView<sbyte> x, long address) : IInt8Access
{
    public int X(long i)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("ld.global.cg.s8 %0, [%1];", out int v, address + i);
            return v;
        }

        return x[i];
    }

    /// <summary>The 8 bytes at element 8·<paramref name="word"/> (8-byte aligned) as one load, L2 only likewise.</summary>
    public long Word(long word)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("ld.global.cg.u64 %0, [%1];", out long v, address + (8 * word));
            return v;
        }

        return x.Cast<long>()[word];
    }
}
