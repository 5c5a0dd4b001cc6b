using ILGPU;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Gemm;

/// <summary>
/// One GEMM implementation (a kernel family: reference-like simple, dp4a SIMT, tensor core, split-K...).
/// Registered by name in <see cref="GemmVariants.Registry"/>; validates on the host (<see cref="CanImplement"/>),
/// loads its kernels once per device and epilogue type, and launches many times.
/// </summary>
public interface IGemmVariant : IKernelVariant
{
    /// <summary>
    /// Null when the variant can run the problem on the device with these operands (<see langword="null"/>: whole
    /// rows, 16-byte aligned), else the reason it cannot; its alignment and buffer rules live here.
    /// </summary>
    string? CanImplement(Int8Device device, GemmProblem problem, GemmOperands? operands = null);

    /// <summary>
    /// Null when automatic selection should take this variant for a problem it can implement, else why a later
    /// variant suits it better (a preference, not a limit: a variant forced by name still runs).
    /// </summary>
    string? Declines(Int8Device device, GemmProblem problem) => null;

    /// <summary>
    /// Launches C = A · Bᵀ finished by <paramref name="epilogue"/> on the device's default stream (asynchronous).
    /// <paramref name="a"/> and <paramref name="b"/> must hold M·lda and N·ldb elements (callers check).
    /// </summary>
    void Run<TEpilogue>(Int8Device device, ArrayView<sbyte> a, ArrayView<sbyte> b, GemmProblem problem, TEpilogue epilogue)
        where TEpilogue : struct, IGemmEpilogue;
}
