using ILGPU;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Kernels.Tensors;

namespace ILGPUInt8.Kernels.Convolution;

/// <summary>
/// Entry points of the floating-point tensor-core implicit-GEMM convolution (<see cref="IFloatConvVariant"/>): FP16
/// NHWC halves with C a multiple of 8, or FP32 NHWC with C a multiple of 4 multiplied in TF32; KRSC weights of the same
/// element; FP32 accumulation. The kernels are the int8 convolution's (<see cref="ConvMma"/>, <see cref="ConvWgmma"/>) run
/// on the bytes: an NHWC tensor of C elements of e bytes is, for the 16-byte cp.async gather, the int8 NHWC tensor of
/// e·C channels (<see cref="BytesProblem"/>), and a 128-byte k tile is 64 halves or 32 floats for the f16/tf32 MMA as it
/// is 128 int8 values for the s8 MMA. The variant is the first of <see cref="Variants"/> that can run the problem unless
/// one is given.
/// </summary>
public static class ConvFloat
{
    /// <summary>
    /// The variants tried in order for an input precision on a device: the wgmma convolution first on sm_90 (FP16 only),
    /// then the mma.sync one with its tile chosen per problem.
    /// </summary>
    public static IReadOnlyList<IFloatConvVariant> Variants(Int8Device device, FloatMmaInput input)
    {
        ArgumentNullException.ThrowIfNull(device);
        var list = new List<IFloatConvVariant>();
        if (input == FloatMmaInput.Fp16 && GemmWgmmaTn.Supported(device))
        {
            // Listed cp.async first; Select moves the TMA-fed one ahead for filters wider than 1×1.
            list.Add(new ConvWgmmaFloat());
            list.Add(new ConvWgmmaFloat(tma: true));
            list.Add(new ConvWgmmaHaloFloat());
        }

        list.Add(new ConvMmaFloat(input));
        return list;
    }

    /// <summary>
    /// Set to <c>on</c> to make the halo-tile convolution (<see cref="ConvWgmmaHaloFloat"/>) the heuristic's first choice
    /// for filters wider than 1×1 (A/B runs; with build-time tactic timing the engine times it beside the others anyway).
    /// Off by default: on an H100 (session 18) it ran r18 3×3 64@56 b256 in 0.547 ms against the TMA kernel's 0.490.
    /// </summary>
    public const string HaloEnvironmentVariable = "ILGPUINT8_FP16_HALO";

    /// <summary>
    /// The variant <see cref="Fp16"/> or <see cref="Tf32"/> runs for a problem, or throws saying why none can. A filter
    /// wider than 1×1 tries the copy engine's feed first (measured on an H100, session 17: every ResNet 3×3 layer ran
    /// faster on it, r18 3×3 256@14 b256 0.197 vs 0.237 ms with the auto tiles of then), a 1×1 the cp.async one first
    /// (r18 1×1/2 64→128 b256 0.078 vs 0.112 ms).
    /// </summary>
    public static IFloatConvVariant Select(Int8Device device, FloatMmaInput input, ConvProblem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        var reasons = new List<string>();
        var variants = Variants(device, input);
        if (problem.R * problem.S > 1)
        {
            bool halo = string.Equals(Environment.GetEnvironmentVariable(HaloEnvironmentVariable), "on", StringComparison.OrdinalIgnoreCase);
            variants = [.. variants.OrderBy(v => v switch { ConvWgmmaHaloFloat when halo => 0, ConvWgmmaFloat { Tma: true } => 1, _ => 2 })];
        }

        foreach (var variant in variants)
        {
            var reason = variant.CanImplement(device, problem);
            if (reason is null)
            {
                return variant;
            }

            reasons.Add($"{variant.Name}: {reason}");
        }

        throw new NotSupportedException($"No {input} implicit-GEMM convolution runs {problem} on {device.Kind}: {string.Join("; ", reasons)}");
    }

    /// <summary>
    /// FP16 convolution: <paramref name="x"/> NHWC and <paramref name="weights"/> KRSC half bit patterns, 16-byte aligned;
    /// the epilogue receives the FP32 accumulators of output (n·P·Q + p·Q + q, k).
    /// </summary>
    public static void Fp16<TEpilogue>(Int8Device device, ArrayView<ushort> x, ArrayView<ushort> weights, ConvProblem problem, TEpilogue epilogue, IFloatConvVariant? variant = null)
        where TEpilogue : struct, IFloatGemmEpilogue
    {
        variant ??= Select(device, FloatMmaInput.Fp16, problem);
        variant.Run(device, x.Cast<sbyte>(), weights.Cast<sbyte>(), problem, epilogue);
    }

    /// <summary>TF32 convolution of FP32 <paramref name="x"/> (NHWC) and <paramref name="weights"/> (KRSC), 16-byte aligned.</summary>
    public static void Tf32<TEpilogue>(Int8Device device, ArrayView<float> x, ArrayView<float> weights, ConvProblem problem, TEpilogue epilogue, IFloatConvVariant? variant = null)
        where TEpilogue : struct, IFloatGemmEpilogue
    {
        variant ??= Select(device, FloatMmaInput.Tf32, problem);
        variant.Run(device, x.Cast<sbyte>(), weights.Cast<sbyte>(), problem, epilogue);
    }

    /// <summary>Bytes of one element: 2 (FP16) or 4 (TF32's FP32 storage).</summary>
    public static int ElementBytes(FloatMmaInput input) => input == FloatMmaInput.Fp16 ? 2 : 4;

    /// <summary>
    /// The int8 convolution problem with the same bytes: C' = e·C channels of one byte (e = <see cref="ElementBytes"/>),
    /// so that reduction byte k' = (r·S + s)·e·C + e·c + b is byte b of element (r, s, c), and the byte GEMM's K is e·R·S·C.
    /// </summary>
    internal static ConvProblem BytesProblem(ConvProblem problem, FloatMmaInput input) => problem with { C = problem.C * ElementBytes(input) };

    /// <summary>Why no floating-point implicit-GEMM convolution can run the problem (null when one can).</summary>
    internal static string? Limit(Int8Device device, ConvProblem problem, FloatMmaInput input, bool allowCpu)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(problem);
        int perChunk = 16 / ElementBytes(input);
        if (problem.Groups == 1 && problem.C % perChunk != 0)
        {
            return $"C ({problem.C}) must be a multiple of {perChunk} ({input}: 16-byte cp.async chunks of one pixel)";
        }

        var bytes = BytesProblem(problem, input);
        if ((long)bytes.N * bytes.H * bytes.W * bytes.C >= int.MaxValue)
        {
            return "the input exceeds 2^31 bytes (32-bit byte offsets)";
        }

        if ((long)bytes.K * bytes.R * bytes.S * bytes.C >= int.MaxValue)
        {
            return "the weights exceed 2^31 bytes (32-bit byte offsets)";
        }

        return ConvMma.Limit(device, bytes, TensorFormat.NHWC, allowCpu)?.Replace("mma.sync.m16n8k32", $"{input} mma.sync", StringComparison.Ordinal);
    }

    /// <summary>
    /// What every float convolution checks before it runs: the arguments, a valid problem, and that
    /// <paramref name="variant"/> can run it (else <see cref="NotSupportedException"/> with its reason).
    /// </summary>
    internal static void CheckRun(IFloatConvVariant variant, Int8Device device, ConvProblem problem)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(problem);
        problem.Validate();
        var reason = variant.CanImplement(device, problem);
        if (reason is not null)
        {
            throw new NotSupportedException($"{variant.Name} cannot run {problem}: {reason}");
        }
    }

    /// <summary>Checks the operand views of a run (sizes in elements of the input precision, 16-byte alignment).</summary>
    internal static void CheckOperands(string name, ArrayView<sbyte> x, ArrayView<sbyte> weights, ConvProblem problem, FloatMmaInput input)
    {
        int e = ElementBytes(input);
        Ops.OpArgs.AtLeast(x.Length, (long)problem.N * problem.H * problem.W * problem.C * e, nameof(x));
        Ops.OpArgs.AtLeast(weights.Length, (long)problem.K * problem.R * problem.S * problem.C * e, nameof(weights));
        if (((IContiguousArrayView)x).IndexInBytes % 16 != 0 || ((IContiguousArrayView)weights).IndexInBytes % 16 != 0)
        {
            throw new ArgumentException($"{name} copies in 16-byte chunks: x and the weights must start on a 16-byte boundary.", nameof(x));
        }
    }
}
