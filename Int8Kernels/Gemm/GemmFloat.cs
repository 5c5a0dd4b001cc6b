using ILGPU;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Gemm;

/// <summary>
/// Entry points of the floating-point tensor-core GEMM C[M,N] = A[M,K]·B[N,K]ᵀ (FP32 accumulation): FP16 operands as
/// half bit patterns, or FP32 operands multiplied in TF32. The variant is the first of <see cref="Variants"/> that can
/// run the problem unless one is given.
/// </summary>
public static class GemmFloat
{
    /// <summary>The variants tried in order for an input precision on a device: wgmma first on sm_90, then mma.sync.</summary>
    public static IReadOnlyList<IFloatGemmVariant> Variants(Int8Device device, FloatMmaInput input)
    {
        ArgumentNullException.ThrowIfNull(device);
        var list = new List<IFloatGemmVariant>();
        if (GemmWgmmaTn.Supported(device))
        {
            list.AddRange(GemmWgmmaFloat.All(input));
        }

        list.AddRange(GemmMmaFloat.All(input));
        return list;
    }

    /// <summary>The variant <see cref="Fp16"/> or <see cref="Tf32"/> runs for a problem, or throws saying why none can.</summary>
    public static IFloatGemmVariant Select(Int8Device device, FloatMmaInput input, GemmProblem problem)
    {
        var reasons = new List<string>();
        foreach (var variant in Variants(device, input))
        {
            var reason = variant.CanImplement(device, problem) ?? variant.Declines(device, problem);
            if (reason is null)
            {
                return variant;
            }

            reasons.Add($"{variant.Name}: {reason}");
        }

        throw new NotSupportedException($"No {input} GEMM variant runs {problem} on {device.Kind}: {string.Join("; ", reasons)}");
    }

    /// <summary>FP16 GEMM: <paramref name="a"/> [M][lda] and <paramref name="b"/> [N][ldb] half bit patterns, 16-byte aligned.</summary>
    public static void Fp16<TEpilogue>(Int8Device device, ArrayView<ushort> a, ArrayView<ushort> b, GemmProblem problem, TEpilogue epilogue, IFloatGemmVariant? variant = null)
        where TEpilogue : struct, IFloatGemmEpilogue
    {
        variant ??= Select(device, FloatMmaInput.Fp16, problem);
        variant.Run(device, a.Cast<sbyte>(), b.Cast<sbyte>(), problem, epilogue);
    }

    /// <summary>TF32 GEMM of FP32 operands <paramref name="a"/> [M][lda] and <paramref name="b"/> [N][ldb], 16-byte aligned.</summary>
    public static void Tf32<TEpilogue>(Int8Device device, ArrayView<float> a, ArrayView<float> b, GemmProblem problem, TEpilogue epilogue, IFloatGemmVariant? variant = null)
        where TEpilogue : struct, IFloatGemmEpilogue
    {
        variant ??= Select(device, FloatMmaInput.Tf32, problem);
        variant.Run(device, a.Cast<sbyte>(), b.Cast<sbyte>(), problem, epilogue);
    }
}
