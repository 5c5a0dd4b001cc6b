using System.Runtime.CompilerServices;

namespace ILGPUInt8.Kernels.Arch;

/// <summary>
/// Which floating-point tensor-core MMA a kernel is instantiated with (a struct type parameter, folded by ILGPU):
/// FP16 (<see cref="F16MmaKind"/>, m16n8k16) or TF32 (<see cref="Tf32MmaKind"/>, m16n8k8); both take 32 bytes of K a
/// step in the same fragment layout (<see cref="MmaFloat"/>).
/// </summary>
internal interface IFloatMmaKind
{
    /// <summary>Bytes of one input element (2 for FP16, 4 for TF32's FP32 storage).</summary>
    int ElementBytes { get; }

    /// <summary>What a fragment register holds before the MMA: FP16 pairs as loaded, TF32 rounded (<see cref="MmaFloat.Tf32Round"/>).</summary>
    int Prepare(int bits);

    /// <summary>One MMA of a 32-byte k step into the float accumulators.</summary>
    void Mma<TOps>(TOps ops, ref float c0, ref float c1, ref float c2, ref float c3, int a0, int a1, int a2, int a3, int b0, int b1)
        where TOps : struct, ITensorCoreOps;
}

/// <summary>FP16 inputs, FP32 accumulation (<c>mma.sync.m16n8k16.f32.f16.f16.f32</c>).</summary>
internal readonly struct F16MmaKind : IFloatMmaKind
{
    /// <inheritdoc />
    public int ElementBytes
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => 2;
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Prepare(int bits) => bits;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Mma<TOps>(TOps ops, ref float c0, ref float c1, ref float c2, ref float c3, int a0, int a1, int a2, int a3, int b0, int b1)
        where TOps : struct, ITensorCoreOps => ops.MmaF16(ref c0, ref c1, ref c2, ref c3, a0, a1, a2, a3, b0, b1);
}

/// <summary>FP32 inputs rounded to TF32, FP32 accumulation (<c>mma.sync.m16n8k8.f32.tf32.tf32.f32</c>).</summary>
internal readonly struct Tf32MmaKind : IFloatMmaKind
{
    /// <inheritdoc />
    public int ElementBytes
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => 4;
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Prepare(int bits) => MmaFloat.Tf32Round(bits);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Mma<TOps>(TOps ops, ref float c0, ref float c1, ref float c2, ref float c3, int a0, int a1, int a2, int a3, int b0, int b1)
        where TOps : struct, ITensorCoreOps => ops.MmaTf32(ref c0, ref c1, ref c2, ref c3, a0, a1, a2, a3, b0, b1);
}
