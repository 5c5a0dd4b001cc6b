using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime.Cuda;

namespace ILGPUInt8.Kernels.Arch;

/// <summary>
/// The warp-level tensor-core instruction set a kernel is instantiated with (a struct type parameter): the PTX
/// instructions alone (<see cref="PtxTensorCore"/>, CUDA sm_80+) or their emulation through shuffles and ordinary
/// memory (<see cref="EmulatedTensorCore"/>, CPU accelerator). Choosing by type keeps the dead other half out of the
/// generated code, which matters when a kernel inlines hundreds of these calls.
/// </summary>
internal interface ITensorCoreOps
{
    /// <summary>Shared-window address of the dynamic shared memory (<see cref="SharedAddress.DynamicBase"/>).</summary>
    uint DynamicSharedBase();

    /// <summary><see cref="Mma.M16N8K32"/>.</summary>
    void Mma(ref int c0, ref int c1, ref int c2, ref int c3, int a0, int a1, int a2, int a3, int b0, int b1);

    /// <summary><see cref="MmaFloat"/> m16n8k16 FP16 → FP32.</summary>
    void MmaF16(ref float c0, ref float c1, ref float c2, ref float c3, int a0, int a1, int a2, int a3, int b0, int b1);

    /// <summary><see cref="MmaFloat"/> m16n8k8 TF32 → FP32.</summary>
    void MmaTf32(ref float c0, ref float c1, ref float c2, ref float c3, int a0, int a1, int a2, int a3, int b0, int b1);

    /// <summary><see cref="LdMatrix.X4"/>.</summary>
    void LdMatrixX4(ArrayView<int> shared, uint sharedBase, int byteOffset, out int r0, out int r1, out int r2, out int r3);

    /// <summary><see cref="CpAsync.Copy16"/>.</summary>
    void Copy16(ArrayView<int> shared, uint sharedBase, int sharedOffset, ArrayView<sbyte> global, long globalAddress, long globalOffset, int srcBytes);

    /// <summary><see cref="CpAsync.CommitGroup"/>.</summary>
    void CommitGroup();

    /// <summary><see cref="CpAsync.WaitAll"/>.</summary>
    void WaitAll();

    /// <summary><see cref="CpAsync.WaitGroup1"/>.</summary>
    void WaitGroup1();

    /// <summary><see cref="CpAsync.WaitGroup2"/>.</summary>
    void WaitGroup2();

    /// <summary><see cref="CpAsync.WaitGroup3"/>.</summary>
    void WaitGroup3();
}

/// <summary>PTX only: mma.sync, ldmatrix, cp.async (CUDA sm_80+; never call it on another accelerator).</summary>
internal readonly struct PtxTensorCore : ITensorCoreOps
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint DynamicSharedBase()
    {
        CudaAsm.Emit("mov.u32 %0, __dyn_shared_alloca;", out uint address);
        return address;
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Mma(ref int c0, ref int c1, ref int c2, ref int c3, int a0, int a1, int a2, int a3, int b0, int b1) =>
        Arch.Mma.M16N8K32Ptx(ref c0, ref c1, ref c2, ref c3, a0, a1, a2, a3, b0, b1);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void MmaF16(ref float c0, ref float c1, ref float c2, ref float c3, int a0, int a1, int a2, int a3, int b0, int b1) =>
        MmaFloat.M16N8K16F16Ptx(ref c0, ref c1, ref c2, ref c3, a0, a1, a2, a3, b0, b1);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void MmaTf32(ref float c0, ref float c1, ref float c2, ref float c3, int a0, int a1, int a2, int a3, int b0, int b1) =>
        MmaFloat.M16N8K8Tf32Ptx(ref c0, ref c1, ref c2, ref c3, a0, a1, a2, a3, b0, b1);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void LdMatrixX4(ArrayView<int> shared, uint sharedBase, int byteOffset, out int r0, out int r1, out int r2, out int r3) =>
        LdMatrix.X4Ptx(sharedBase, byteOffset, out r0, out r1, out r2, out r3);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Copy16(ArrayView<int> shared, uint sharedBase, int sharedOffset, ArrayView<sbyte> global, long globalAddress, long globalOffset, int srcBytes) =>
        CpAsync.Copy16Ptx(sharedBase, sharedOffset, globalAddress, globalOffset, srcBytes);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void CommitGroup() => CudaAsm.Emit("cp.async.commit_group;");

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WaitAll() => CudaAsm.Emit("cp.async.wait_group 0;");

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WaitGroup1() => CudaAsm.Emit("cp.async.wait_group 1;");

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WaitGroup2() => CudaAsm.Emit("cp.async.wait_group 2;");

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WaitGroup3() => CudaAsm.Emit("cp.async.wait_group 3;");
}

/// <summary>
/// Emulation on any accelerator with 32-lane warps (the CPU accelerator): shuffles for mma and ldmatrix, immediate
/// copies for cp.async (so commit and wait do nothing; barriers still order the copies against other threads' reads).
/// Shared addresses are byte offsets into the dynamic shared view (base 0).
/// </summary>
internal readonly struct EmulatedTensorCore : ITensorCoreOps
{
    /// <inheritdoc />
    public uint DynamicSharedBase() => 0;

    /// <inheritdoc />
    public void Mma(ref int c0, ref int c1, ref int c2, ref int c3, int a0, int a1, int a2, int a3, int b0, int b1) =>
        Arch.Mma.M16N8K32Emulated(ref c0, ref c1, ref c2, ref c3, a0, a1, a2, a3, b0, b1);

    /// <inheritdoc />
    public void MmaF16(ref float c0, ref float c1, ref float c2, ref float c3, int a0, int a1, int a2, int a3, int b0, int b1) =>
        MmaFloat.M16N8K16F16Emulated(ref c0, ref c1, ref c2, ref c3, a0, a1, a2, a3, b0, b1);

    /// <inheritdoc />
    public void MmaTf32(ref float c0, ref float c1, ref float c2, ref float c3, int a0, int a1, int a2, int a3, int b0, int b1) =>
        MmaFloat.M16N8K8Tf32Emulated(ref c0, ref c1, ref c2, ref c3, a0, a1, a2, a3, b0, b1);

    /// <inheritdoc />
    public void LdMatrixX4(ArrayView<int> shared, uint sharedBase, int byteOffset, out int r0, out int r1, out int r2, out int r3) =>
        LdMatrix.X4Emulated(shared, byteOffset, out r0, out r1, out r2, out r3);

    /// <inheritdoc />
    public void Copy16(ArrayView<int> shared, uint sharedBase, int sharedOffset, ArrayView<sbyte> global, long globalAddress, long globalOffset, int srcBytes) =>
        CpAsync.Copy16Emulated(shared, sharedOffset, global, globalOffset, srcBytes);

    /// <inheritdoc />
    public void CommitGroup()
    {
    }

    /// <inheritdoc />
    public void WaitAll()
    {
    }

    /// <inheritdoc />
    public void WaitGroup1()
    {
    }

    /// <inheritdoc />
    public void WaitGroup2()
    {
    }

    /// <inheritdoc />
    public void WaitGroup3()
    {
    }
}
