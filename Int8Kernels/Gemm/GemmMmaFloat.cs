using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Gemm;

/// <summary>The input precision of a floating-point tensor-core kernel (FP32 accumulation either way).</summary>
public enum FloatMmaInput
{
    /// <summary>FP16 inputs (half bit patterns), <c>mma m16n8k16 f16</c>.</summary>
    Fp16,

    /// <summary>FP32 inputs rounded to TF32 (10 mantissa bits, ties away from zero), <c>mma m16n8k8 tf32</c>.</summary>
    Tf32,
}

/// <summary>
/// A floating-point tensor-core GEMM C[M,N] = A[M,K]·B[N,K]ᵀ (both K-contiguous, sizes and leading dimensions in
/// elements) with FP32 accumulation, finished by an <see cref="IFloatGemmEpilogue"/>.
/// </summary>
public interface IFloatGemmVariant
{
    /// <summary>A stable name (CUTLASS-like).</summary>
    string Name { get; }

    /// <summary>The input precision.</summary>
    FloatMmaInput Input { get; }

    /// <summary>Null when the variant can run the problem on the device, else why not.</summary>
    string? CanImplement(Int8Device device, GemmProblem problem);

    /// <summary>Why automatic selection should pass this variant over for a problem it can run (null: take it).</summary>
    string? Declines(Int8Device device, GemmProblem problem);

    /// <summary>
    /// Runs the GEMM on operands given as raw bytes (FP16: 2 bytes an element, TF32: 4), both starting on a
    /// 16-byte boundary. Asynchronous on CUDA.
    /// </summary>
    void Run<TEpilogue>(Int8Device device, ArrayView<sbyte> a, ArrayView<sbyte> b, GemmProblem problem, TEpilogue epilogue)
        where TEpilogue : struct, IFloatGemmEpilogue;
}

/// <summary>
/// The mma.sync floating-point GEMM (sm_80+): the pipeline of <see cref="GemmMmaTn"/> (128 bytes of K a stage =
/// 64 halves or 32 floats, cp.async ring, XOR-swizzled shared tiles, ldmatrix, 64×64 warp tiles of 128 FP32
/// accumulators a thread) with m16n8k16 FP16 or m16n8k8 TF32 MMAs (<see cref="MmaFloat"/>); the kernels are generated
/// by <c>Int8Kernels/gen/gen_mma_gemm.py</c> (<c>GemmMmaFloat&lt;tile&gt;.Generated.cs</c>). K is arbitrary (zero-filled
/// copies past K), M and N edges masked; lda·element bytes and ldb·element bytes must be multiples of 16.
/// On the CPU accelerator the emulated instructions compute the reference order of <see cref="MmaFloat"/> (tests only).
/// </summary>
public sealed class GemmMmaFloat : IFloatGemmVariant
{
    private readonly bool _allowCpu;

    /// <summary>
    /// A variant of 128×<paramref name="tileN"/> tiles (256 or 128) with <paramref name="stages"/> pipeline stages (0: the
    /// tile's default, 3 for 128×256 and 4 for 128×128; 128×128 also has 3). <paramref name="allowCpuAccelerator"/>
    /// lets it run emulated on the CPU accelerator (tests only: far slower than any CPU path).
    /// </summary>
    public GemmMmaFloat(FloatMmaInput input, int tileN = 128, int stages = 0, bool allowCpuAccelerator = false)
    {
        int[] depths = tileN switch
        {
            256 => GemmMmaFloat128x256.Stages,
            128 => GemmMmaFloat128x128.Stages,
            _ => throw new ArgumentOutOfRangeException(nameof(tileN), tileN, "mma.sync float GEMM tiles are 128×256 or 128×128."),
        };
        stages = stages == 0 ? depths[0] : stages;
        if (!depths.Contains(stages))
        {
            throw new ArgumentOutOfRangeException(nameof(stages), stages, $"128×{tileN} has kernels for {string.Join(", ", depths)} stages.");
        }

        Input = input;
        TileN = tileN;
        Stages = stages;
        _allowCpu = allowCpuAccelerator;
    }

    /// <summary>
    /// The variants the library offers for an input precision, in the order <see cref="GemmFloat.Select"/> tries them.
    /// TF32: 128×256 first (it declines N ≤ 128 and grids under one wave, <see cref="FullWave"/>): on an H200 (session 13,
    /// <c>Perf fp16gemm</c>) it ran 182-191 TFLOPS on 4096³ to 16384³ and 1024×8192² where 128×128 ran 140-155. FP16
    /// (mma.sync before sm_90): 128×128 with 4 stages first, as measured before.
    /// </summary>
    public static IReadOnlyList<GemmMmaFloat> All(FloatMmaInput input) => input == FloatMmaInput.Tf32
        ? [new(input, 256, 3), new(input, 128, 4), new(input, 128, 3)]
        : [new(input, 128, 4), new(input, 256, 3), new(input, 128, 3)];

    /// <inheritdoc />
    public FloatMmaInput Input { get; }

    /// <summary>Rows of C a block computes.</summary>
    public int TileM => 128;

    /// <summary>Columns of C a block computes.</summary>
    public int TileN { get; }

    /// <summary>Pipeline stages of 128 bytes of K.</summary>
    public int Stages { get; }

    /// <summary>Bytes of one element: 2 (FP16) or 4 (TF32).</summary>
    public int ElementBytes => Input == FloatMmaInput.Fp16 ? 2 : 4;

    /// <summary>Threads a block (32 per 64×64 warp tile).</summary>
    public int Threads => TileM * TileN / (64 * 64) * 32;

    /// <inheritdoc />
    public string Name => $"gemm_{(Input == FloatMmaInput.Fp16 ? "f16f16f32" : "tf32tf32f32")}_tn_mma_128x{TileN}x{128 / ElementBytes}_s{Stages}";

    /// <summary>Dynamic shared memory a block: the ring, or the FP32 staging tile TileM × (TileN + 8), whichever is larger.</summary>
    public int SharedBytes => Math.Max(Stages * (TileM + TileN) * GemmMmaTn.StageK, TileM * (TileN + 8) * 4);

    /// <inheritdoc />
    public string? CanImplement(Int8Device device, GemmProblem problem)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (!device.IsCuda && !_allowCpu)
        {
            return "tensor-core variant: needs CUDA (its CPU fallback emulates mma.sync with shuffles, for tests only)";
        }

        if (device.Accelerator is ILGPU.Runtime.Cuda.CudaAccelerator cuda && cuda.Architecture.Major < 8)
        {
            return $"FP16/TF32 mma.sync and cp.async need sm_80 or newer; this device is sm_{cuda.Architecture.Major}{cuda.Architecture.Minor}";
        }

        int align = 16 / ElementBytes;
        return problem.Lda % align != 0 || problem.Ldb % align != 0
            ? $"lda ({problem.Lda}) and ldb ({problem.Ldb}) must be multiples of {align} elements (16 bytes) for 16-byte cp.async"
            : null;
    }

    /// <inheritdoc />
    public string? Declines(Int8Device device, GemmProblem problem) => FullWave(device, problem, TileM, TileN);

    /// <summary>
    /// For 128×256 tiles: why a problem of N ≤ 128 (a 256-wide tile would multiply at least half zeros: the 64-channel
    /// convolutions of the ResNets) or of fewer tiles than multiprocessors should go to a smaller tile (null otherwise).
    /// </summary>
    internal static string? FullWave(Int8Device device, GemmProblem problem, int tileM, int tileN)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (tileN != 256 || !device.IsCuda)
        {
            return null;
        }

        if (problem.N <= 128)
        {
            return $"N = {problem.N} fills at most half of a {tileN}-wide tile";
        }

        long tiles = (long)((problem.M + tileM - 1) / tileM) * ((problem.N + tileN - 1) / tileN);
        int sms = device.Accelerator.NumMultiprocessors;
        return tiles < sms ? $"{tiles} tiles of {tileM}×{tileN} leave some of the {sms} multiprocessors idle" : null;
    }

    /// <inheritdoc />
    public void Run<TEpilogue>(Int8Device device, ArrayView<sbyte> a, ArrayView<sbyte> b, GemmProblem problem, TEpilogue epilogue)
        where TEpilogue : struct, IFloatGemmEpilogue
    {
        ArgumentNullException.ThrowIfNull(device);
        problem.Validate();
        var reason = CanImplement(device, problem);
        if (reason is not null)
        {
            throw new NotSupportedException($"{Name} cannot run {problem}: {reason}");
        }

        if (((IContiguousArrayView)a).IndexInBytes % 16 != 0 || ((IContiguousArrayView)b).IndexInBytes % 16 != 0)
        {
            throw new ArgumentException($"{Name} needs operands that start on a 16-byte boundary.", nameof(a));
        }

        int bytes = SharedBytes;
        bool cuda = device.Accelerator.AcceleratorType == AcceleratorType.Cuda;
        var kernel = device.GetKernel($"gemm.mmafloat.{Name}.{typeof(TEpilogue).FullName}", acc => cuda
            ? PtxLocalSlotPass.LoadStreamKernel(acc, KernelFor<FloatBitsEpilogue<TEpilogue>>(ptx: true), bytes)
            : acc.LoadStreamKernel(KernelFor<FloatBitsEpilogue<TEpilogue>>(ptx: false)));

        int eb = ElementBytes;
        int tilesM = (problem.M + TileM - 1) / TileM, tilesN = (problem.N + TileN - 1) / TileN;
        long kBytes = (long)problem.K * eb;
        if (kBytes > int.MaxValue - GemmMmaTn.StageK)
        {
            throw new ArgumentException($"{Name}: K = {problem.K} is too long.", nameof(problem));
        }

        // The kernel counts K and the leading dimensions in bytes.
        var args = new GemmMmaTn.Args(problem.M, problem.N, (int)kBytes, problem.Lda * eb, problem.Ldb * eb, tilesM, tilesN, (int)((kBytes + GemmMmaTn.StageK - 1) / GemmMmaTn.StageK));
        kernel(
            new KernelConfig(tilesM * tilesN, Threads, SharedMemoryConfig.RequestDynamic<int>(bytes / 4)),
            GemmWgmmaTn.DeviceAddress(a),
            GemmWgmmaTn.DeviceAddress(b),
            a,
            b,
            args,
            new FloatBitsEpilogue<TEpilogue>(epilogue));
    }

    /// <inheritdoc />
    public override string ToString() => Name;

    internal Action<long, long, ArrayView<sbyte>, ArrayView<sbyte>, GemmMmaTn.Args, TEpilogue> KernelFor<TEpilogue>(bool ptx)
        where TEpilogue : struct, IGemmEpilogue =>
        (TileN, Input) switch
        {
            (256, FloatMmaInput.Fp16) => GemmMmaFloat128x256.KernelFor<F16MmaKind, TEpilogue>(Stages, ptx),
            (256, _) => GemmMmaFloat128x256.KernelFor<Tf32MmaKind, TEpilogue>(Stages, ptx),
            (_, FloatMmaInput.Fp16) => GemmMmaFloat128x128.KernelFor<F16MmaKind, TEpilogue>(Stages, ptx),
            _ => GemmMmaFloat128x128.KernelFor<Tf32MmaKind, TEpilogue>(Stages, ptx),
        };
}
