using System.Runtime.CompilerServices;
using ILGPUInt8.Kernels.Arch;

namespace ILGPUInt8.Kernels.Gemm;

/// <summary>
/// The depth of a tensor-core kernel's cp.async pipeline as a struct type parameter, so that one generated kernel
/// body serves every stage count (ILGPU inlines these members and folds the constants: the kernel is the same as one
/// written with the numbers). With S stages, stages kt + 1 .. kt + S − 1 are in flight while stage kt is read; the
/// ring of S stages of B bytes each has its last stage at byte (S − 1)·B.
/// </summary>
internal interface IMmaStages
{
    /// <summary>S, the stages in the shared-memory ring.</summary>
    int Count { get; }

    /// <summary>
    /// Waits until the oldest stage in flight has landed: <c>cp.async.wait_group S − 2</c> (at most S − 2 of this
    /// thread's commit groups still pending).
    /// </summary>
    void WaitOldest<TOps>(TOps ops)
        where TOps : struct, ITensorCoreOps;
}

/// <summary>A 3-stage pipeline (two stages in flight; less shared memory, so more blocks a multiprocessor).</summary>
internal readonly struct MmaStages3 : IMmaStages
{
    /// <inheritdoc />
    public int Count
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => 3;
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WaitOldest<TOps>(TOps ops)
        where TOps : struct, ITensorCoreOps => ops.WaitGroup1();
}

/// <summary>A 4-stage pipeline (three stages in flight).</summary>
internal readonly struct MmaStages4 : IMmaStages
{
    /// <inheritdoc />
    public int Count
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => 4;
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WaitOldest<TOps>(TOps ops)
        where TOps : struct, ITensorCoreOps => ops.WaitGroup2();
}
