using System.Runtime.InteropServices;
using ILGPU;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Layers.Runtime;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Layers.Operators;

/// <summary>
/// A float convolution or fully connected step on the tensor cores, FP16 or TF32 (one home for both: they differ in the
/// element of the GEMM operands only). The input's im2col rows go to a scratch matrix A [N·P·Q][Kp]: FP16 rounds them
/// to halves (<see cref="Im2ColHalf"/>, Kp = R·S·C rounded up to 8), TF32 copies the floats (<see cref="Im2ColFloat"/>,
/// Kp rounded up to 4: lda·4 bytes a multiple of 16); the weights B [K][Kp] (KRSC, zero-padded) are halves or floats;
/// then <see cref="GemmFloat"/> (mma.sync or wgmma, FP32 accumulation): y[m][k] = max(Σ_j A[m][j]·B[k][j] + bias[k],
/// lo), bias FP32, lo = 0 for a fused ReLU. FP16: products of halves exact in FP32; the epilogue rounds y to a half
/// once (<see cref="HalfOutEpilogue"/> into the 2-byte half output; <see cref="HalfRoundedOutEpilogue"/> into an output
/// held in float words: the bits the engine's separate FP16 store, <see cref="HalfIoStep"/>, gives, without its pass).
/// TF32: the GEMM rounds every operand to TF32 (10 mantissa bits, ties away from zero:
/// <see cref="MmaFloat.Tf32Round"/>), the products of TF32 values exact in FP32. Either way the sum is the tensor
/// core's order, not the reference's: the last float bits differ. Groups = 1 and no fused activation other than ReLU;
/// every other float convolution runs the FP32 kernel (<see cref="ConvolutionStep"/>). An FP16 convolution with C a
/// multiple of 8 skips the im2col matrix: it reads the 2-byte half input where it lies (an input in float words, from
/// an engine file before version 9, is packed to halves in scratch first: <see cref="HalfPack"/>, N·H·W·C × 2 bytes,
/// exact for half values) and the implicit-GEMM convolution (<see cref="ConvFloat"/>, the weights are then the dense
/// KRSC halves: R·S·C is a multiple of 8) gathers its patches itself. A TF32 convolution with C a multiple of 4 reads
/// the float arena tensor directly (no pack: the NHWC floats are the operand; R·S·C is then a multiple of 4, so the
/// dense KRSC weights are the im2col weights). Both sum the same products in the same order as im2col +
/// <see cref="GemmFloat"/> (j = (r·S + s)·C + c, 32-byte k steps), so they give the same bits on the emulated
/// instructions. An input view whose start is not 16-byte aligned (cp.async) keeps im2col + GEMM, decided when the step
/// is built. A strided FP16 convolution whose C is not a multiple of 8 (the RGB stem) on a 2-byte half input folds
/// space-to-depth instead (<see cref="FoldFor"/>): the folded input in scratch, then the stride-1 implicit GEMM on it
/// (the same products plus zero ones, summed in another order than im2col's).
/// <para>
/// On CUDA the implicit-GEMM variant is a tactic (<see cref="ITunableStep"/>): build-time timing tries every FP16/TF32
/// convolution that can run the problem (the wgmma ones fed by cp.async or the copy engine, the halo tile, mma.sync) and
/// keeps the fastest. Unlike the INT8 convolutions' they do not give the same bits: each sums the FP32 products in its own
/// order, within the tolerance <c>ConvFloatTests</c> holds them to, so a float engine's bits follow its tactics, which its
/// engine file keeps.
/// </para>
/// </summary>
internal sealed class TensorCoreConvolutionStep : Step, ITunableStep
{
    private readonly Func<int, ConvProblem> _problem;
    private readonly ArrayView<sbyte> _weights;
    private readonly ArrayView<float> _bias;
    private readonly int _columns;
    private readonly FloatMmaInput _input;
    private readonly IFloatGemmVariant? _variant;
    private readonly IFloatConvVariant? _implicit;
    private readonly ConvStemFold? _fold;
    private readonly int _fusedInput = -1;
    private IReadOnlyList<IFloatConvVariant>? _candidates;

    private TensorCoreConvolutionStep(Engine engine, PlanNode node, FloatMmaInput input, IFloatGemmVariant? variant, IFloatConvVariant? implicitConv, ConvStemFold? fold = null)
        : base(engine, node)
    {
        _input = input;
        _variant = variant;
        _implicit = implicitConv;
        _fold = fold;
        if (fold is not null)
        {
            // The FP16 stem reads the engine's float input itself when it alone reads it (the convert to halves fused).
            _fusedInput = ConvolutionStep.FusedInputOf(Plan, node, DataType.Half, StemEnvironmentVariable);
        }

        var dims = Input().Dims;
        var (problem, w, bias, k) = Shape(node, dims);
        _problem = problem;
        var p1 = problem(1);
        _columns = Columns(input, p1);
        var fc = node.Layer is FullyConnectedLayer;
        var krsc = fc ? WeightLayout.FullyConnectedNchwToNhwc<float>(w, k, dims.C, dims.H, dims.W) : WeightLayout.KcrsToKrsc<float>(w, k, p1.C, p1.R, p1.S);
        if (fold is not null)
        {
            // The KRSC halves as bytes (C·2 byte channels), folded as the input is.
            _weights = Upload(fold.FoldWeights(MemoryMarshal.Cast<ushort, sbyte>(HalfConvert.FromFloats(krsc))));
        }
        else
        {
            var padded = WeightLayout.PadRows<float>(krsc, k, p1.R * p1.S * p1.C, _columns);
            _weights = input == FloatMmaInput.Fp16 ? Upload(HalfConvert.FromFloats(padded)).Cast<sbyte>() : Upload(padded).Cast<sbyte>();
        }

        _bias = Upload(bias ?? new float[k]);
    }

    /// <summary>
    /// A variant to use on the ILGPU CPU accelerator (tests: the mma.sync emulation) for steps of its input precision, set
    /// on the thread that builds the engine.
    /// </summary>
    [ThreadStatic]
    internal static IFloatGemmVariant? CpuVariant;

    /// <summary>
    /// An FP16 implicit-GEMM convolution to use on the ILGPU CPU accelerator (tests: the emulation), set on the thread
    /// that builds the engine; without it the CPU accelerator keeps im2col + <see cref="CpuVariant"/>.
    /// </summary>
    [ThreadStatic]
    internal static IFloatConvVariant? CpuConvVariant;

    /// <inheritdoc />
    public override int Launches => _implicit is not null && !PacksInput && _fold is null ? 1 : 2;

    /// <inheritdoc />
    public override bool RunsTf32 => _input == FloatMmaInput.Tf32;

    /// <inheritdoc />
    public override bool HandlesHalfStorage => _input == FloatMmaInput.Fp16;

    /// <inheritdoc />
    public override long ScratchBytes => _fold is not null ? _fold.FoldedBytes
        : _implicit is null ? checked((long)Plan.MaxBatchSize * Output.Dims.Plane * _columns * ElementBytes)
        : PacksInput ? checked((long)Plan.MaxBatchSize * Input().Dims.Volume * 2)
        : 0;

    /// <inheritdoc />
    public override string KernelName => _fold is not null ? $"stem_fold_f16{(_fusedInput >= 0 ? " (input convert fused)" : string.Empty)} {_fold.Folded.R}x{_fold.Folded.S}x{_fold.Folded.C / 2}+{ImplicitName}"
        : _implicit is null ? $"im2col_{(_input == FloatMmaInput.Fp16 ? "f16" : "f32")}+{Variant(_problem(Plan.MaxBatchSize)).Name}"
        : PacksInput ? $"pack_f16+{_implicit.Name}" : ImplicitName;

    /// <inheritdoc />
    public string? Trial { get; set; }

    /// <summary>The engine input a folded FP16 stem reads from its float staging buffer (the convert fused), or −1.</summary>
    public override int FusedInput => _fusedInput;

    /// <summary>False: uint8 images are normalized on the host into the float staging buffer this step reads.</summary>
    public override bool FusedInputTakesImages => false;

    // The implicit GEMM's name at the largest batch, marked when a timed tactic chose it.
    private string ImplicitName
    {
        get
        {
            var chosen = ImplicitAt(Plan.MaxBatchSize);
            return chosen.Name + (Node.Tactics.Any(t => t.Variant == chosen.Name) ? " [timed]" : string.Empty);
        }
    }

    /// <summary>
    /// The FP16/TF32 implicit-GEMM convolutions that can run the step's (folded) problem at <paramref name="batch"/>: CUDA
    /// only (the CPU accelerator has its one injected variant), none when the input is packed first.
    /// </summary>
    public IReadOnlyList<string> Candidates(int batch)
    {
        if (_implicit is null || PacksInput || !Device.IsCuda)
        {
            return [];
        }

        var p = ImplicitProblem(batch);
        return [.. AllImplicit().Where(v => v.CanImplement(Device, p) is null).Select(v => v.Name)];
    }

    /// <inheritdoc />
    public string TimingProblem(int batch) =>
        $"conv {_input} {ImplicitProblem(batch)} {(Output.Type == DataType.Half ? "f16out" : "f32out")} {(_fold is not null ? "fold" : $"x%16={Input().Offset % 16}")}";

    // FP16 on float words (engine files before version 9): the implicit GEMM packs them to halves first.
    private bool PacksInput => _implicit is not null && _input == FloatMmaInput.Fp16 && Input().Type != DataType.Half;

    private int ElementBytes => _input == FloatMmaInput.Fp16 ? 2 : 4;

    /// <summary>
    /// The tensor-core step for a float node when it can run one, else null (the caller makes the FP32-kernel step): FP16
    /// for an FP16 node, TF32 for an FP32 node of an engine that allows TF32 (<see cref="Plan.Tf32"/>).
    /// </summary>
    public static Step? TryCreate(Engine engine, PlanNode node)
    {
        var device = engine.Device;
        FloatMmaInput? wanted = node.Half ? FloatMmaInput.Fp16 : !node.Int8 && engine.Plan.Tf32 ? FloatMmaInput.Tf32 : null;
        if (wanted is not { } input || engine.HostIsa is not null
            || node.Fused.Kind is not (Kernels.Ops.ActivationKind.None or Kernels.Ops.ActivationKind.Relu) || node.ResidualThreshold is not null)
        {
            return null;
        }

        var variant = device.IsCuda ? null : CpuVariant is { } v && v.Input == input ? v : null;
        if (!device.IsCuda && variant is null)
        {
            return null;
        }

        var dims = engine.Plan.Tensors[node.Inputs[0]].Dims;
        var p = Shape(node, dims).Problem(engine.Plan.MaxBatchSize);
        if (p.Groups != 1)
        {
            return null;
        }

        var gemm = new GemmProblem(p.N * p.P * p.Q, p.K, Columns(input, p));
        var implicitConv = ImplicitFor(engine, node, input, p);
        if (implicitConv is null && FoldFor(engine, node, input, p) is var (fold, foldedConv))
        {
            return new TensorCoreConvolutionStep(engine, node, input, variant, foldedConv, fold);
        }

        if (variant is not null)
        {
            return implicitConv is not null || variant.CanImplement(device, gemm) is null ? new TensorCoreConvolutionStep(engine, node, input, variant, implicitConv) : null;
        }

        try
        {
            GemmFloat.Select(device, input, gemm);
        }
        catch (NotSupportedException)
        {
            // No FP16/TF32 tensor-core variant on this device (before sm_80): the FP32 kernel.
            return null;
        }

        return new TensorCoreConvolutionStep(engine, node, input, null, implicitConv);
    }

    /// <summary>
    /// Set to 0 to keep every FP16/TF32 convolution on im2col + GEMM (A/B runs; the CPU accelerator's injected variant
    /// included). The implicit-GEMM convolutions are the default (their GPU tests passed on an H200, session 13).
    /// </summary>
    internal const string ImplicitEnvironmentVariable = "ILGPUINT8_FP16_IMPLICIT_CONV";

    // The implicit-GEMM convolution for a convolution layer with C a multiple of 8 (FP16) or 4 (TF32) (CUDA: ConvFloat's
    // choice; CPU accelerator: the injected test variant), else null (im2col + GEMM). It reads the arena tensor itself
    // with 16-byte cp.async copies: its offset in the 256-byte aligned arena must be a multiple of 16 (a view may not be).
    private static IFloatConvVariant? ImplicitFor(Engine engine, PlanNode node, FloatMmaInput input, ConvProblem p)
    {
        if (node.Layer is not ConvolutionLayer || p.C % (16 / ConvFloat.ElementBytes(input)) != 0
            || engine.Plan.Tensors[node.Inputs[0]].Offset % 16 != 0
            || Environment.GetEnvironmentVariable(ImplicitEnvironmentVariable) == "0")
        {
            return null;
        }

        return ImplicitVariant(engine.Device, input, p);
    }

    /// <summary>
    /// Set to <c>im2col</c> to keep the FP16 stems on im2col + GEMM (A/B runs), or to <c>fold</c> to fold without reading
    /// the float input itself; by default a strided FP16 convolution with C not a multiple of 8 (the RGB stem) folds
    /// (<see cref="FoldFor"/>), straight from the engine's float input when it alone reads that input.
    /// </summary>
    internal const string StemEnvironmentVariable = "ILGPUINT8_FP16_STEM";

    // The space-to-depth fold of an FP16 stem: a strided convolution layer whose C is not a multiple of 8, reading a
    // 2-byte half tensor. The halves are the int8 fold's bytes (C·2 byte channels, ConvStemFold's alignment of 16 bytes = 8
    // halves), so the folded problem (stride 1, R2×S2 taps, C2 = 16-byte-rounded sh·sw·C·2 / 2 halves) runs the implicit
    // GEMM: same products plus zero ones, no im2col matrix (M × Kp halves) in memory, only the folded input
    // (N·H2·W2·C2 halves, about sh·sw·C2/C of the input). Null when no fold applies or no variant runs it.
    private static (ConvStemFold Fold, IFloatConvVariant Variant)? FoldFor(Engine engine, PlanNode node, FloatMmaInput input, ConvProblem p)
    {
        if (input != FloatMmaInput.Fp16 || node.Layer is not ConvolutionLayer || p.C % 8 == 0 || p.StrideH * p.StrideW == 1
            || engine.Plan.Tensors[node.Inputs[0]].Type != DataType.Half
            || string.Equals(Environment.GetEnvironmentVariable(StemEnvironmentVariable), "im2col", StringComparison.OrdinalIgnoreCase)
            || ConvStemFold.Plan(ConvFloat.BytesProblem(p, input)) is not { } fold)
        {
            return null;
        }

        return ImplicitVariant(engine.Device, input, HalvesOf(fold.Folded)) is { } variant ? (fold, variant) : null;
    }

    // The folded problem in halves (its C counts bytes).
    private static ConvProblem HalvesOf(ConvProblem bytes) => bytes with { C = bytes.C / 2 };

    // The problem the implicit GEMM runs at a batch: the folded one for a stem fold.
    private ConvProblem ImplicitProblem(int batch) => _fold is not null ? HalvesOf(_fold.WithBatch(batch).Folded) : _problem(batch);

    // Every implicit-GEMM variant of this precision on CUDA, made once.
    private IReadOnlyList<IFloatConvVariant> AllImplicit() => _candidates ??= Device.IsCuda ? ConvFloat.Variants(Device, _input) : [];

    // The implicit GEMM a run at a batch uses: the trial of tactic timing (a name no variant has, or one that cannot run the
    // problem, is refused, so the timer skips it); else the tactic timed at the nearest batch (|log2 ratio|) when it can run
    // the problem; else the heuristic choice made when the step was built.
    private IFloatConvVariant ImplicitAt(int batch)
    {
        var p = ImplicitProblem(batch);
        if (Trial is not null)
        {
            return AllImplicit().FirstOrDefault(v => v.Name == Trial && v.CanImplement(Device, p) is null)
                ?? throw new NotSupportedException($"{Node.Name}: no FP16/TF32 convolution named {Trial} runs {p}.");
        }

        if (Node.Tactics.Count > 0)
        {
            var name = Node.Tactics.MinBy(t => Math.Abs(Math.Log2((double)t.Batch / batch))).Variant;
            if (AllImplicit().FirstOrDefault(v => v.Name == name && v.CanImplement(Device, p) is null) is { } timed)
            {
                return timed;
            }
        }

        return _implicit!;
    }

    // The implicit-GEMM variant for a problem: CUDA's ConvFloat choice, the CPU accelerator's injected test variant.
    private static IFloatConvVariant? ImplicitVariant(Int8Device device, FloatMmaInput input, ConvProblem p)
    {
        if (!device.IsCuda)
        {
            return CpuConvVariant is { } v && v.Input == input && v.CanImplement(device, p) is null ? v : null;
        }

        try
        {
            return ConvFloat.Select(device, input, p);
        }
        catch (NotSupportedException)
        {
            return null;
        }
    }

    /// <inheritdoc />
    public override void Run(ExecutionContext context, int batch)
    {
        var p = _problem(batch);
        var lo = FloatEpilogue.Lo(Node.Fused.Kind == Kernels.Ops.ActivationKind.Relu);
        if (_input == FloatMmaInput.Fp16 && Output.Type == DataType.Half)
        {
            Run(context, batch, p, new HalfOutEpilogue(context.View<ushort>(Output, batch), p.K, _bias, lo));
        }
        else if (_input == FloatMmaInput.Fp16)
        {
            // Float words holding halves: an engine output, or an engine file before version 9.
            Run(context, batch, p, new HalfRoundedOutEpilogue(context.View<float>(Output, batch), p.K, _bias, lo));
        }
        else
        {
            Run(context, batch, p, new FloatOutEpilogue(context.View<float>(Output, batch), p.K, _bias, lo));
        }
    }

    private void Run<TEpilogue>(ExecutionContext context, int batch, ConvProblem p, TEpilogue epilogue)
        where TEpilogue : struct, IFloatGemmEpilogue
    {
        var m = p.N * p.P * p.Q;
        var gemm = new GemmProblem(m, p.K, _columns);
        if (_fold is not null)
        {
            // z = the fold of the input's bytes, then the stride-1 convolution of z.
            var fold = _fold.WithBatch(batch);
            var z = context.Scratch<sbyte>(this, fold.FoldedBytes);
            if (_fusedInput >= 0)
            {
                StemFold.FromF32NchwHalves(Device, context.InputStaging(_fusedInput, batch), fold, z);
            }
            else
            {
                StemFold.FromS8Nhwc(Device, context.View<sbyte>(Input(), batch), fold, z);
            }

            ImplicitAt(batch).Run(Device, z, _weights, HalvesOf(fold.Folded), epilogue);
            return;
        }

        if (_implicit is not null && !PacksInput)
        {
            // TF32 on the arena's floats, FP16 on the arena's halves.
            ImplicitAt(batch).Run(Device, context.View<sbyte>(Input(), batch), _weights, p, epilogue);
            return;
        }

        if (PacksInput)
        {
            long count = (long)p.N * p.H * p.W * p.C;
            var packed = context.Scratch<ushort>(this, count);
            HalfPack.Run(Device, context.View<float>(Input(), batch), packed, count);
            _implicit!.Run(Device, packed.Cast<sbyte>(), _weights, p, epilogue);
            return;
        }

        ArrayView<sbyte> a;
        if (_input == FloatMmaInput.Fp16)
        {
            var halves = context.Scratch<ushort>(this, (long)m * _columns);
            if (Input().Type == DataType.Half)
            {
                Im2ColHalf.Run(Device, context.View<ushort>(Input(), batch), p, halves, _columns);
            }
            else
            {
                Im2ColHalf.Run(Device, context.View<float>(Input(), batch), p, halves, _columns);
            }

            a = halves.Cast<sbyte>();
        }
        else
        {
            var floats = context.Scratch<float>(this, (long)m * _columns);
            Im2ColFloat.Run(Device, context.View<float>(Input(), batch), p, floats, _columns);
            a = floats.Cast<sbyte>();
        }

        Variant(gemm).Run(Device, a, _weights, gemm, epilogue);
    }

    /// <summary>Kp: R·S·C rounded up to 16 bytes of elements (8 halves, 4 floats).</summary>
    private static int Columns(FloatMmaInput input, ConvProblem p) => input == FloatMmaInput.Fp16 ? Im2ColHalf.Columns(p) : Im2ColFloat.Columns(p);

    private IFloatGemmVariant Variant(GemmProblem gemm) => _variant ?? GemmFloat.Select(Device, _input, gemm);

    private IFloatGemmVariant Variant(ConvProblem p) => Variant(new GemmProblem(p.N * p.P * p.Q, p.K, _columns));

    /// <summary>The convolution problem per batch, the public-order weights, the bias and K of a convolution or fully connected node.</summary>
    private static (Func<int, ConvProblem> Problem, float[] Weights, float[]? Bias, int K) Shape(PlanNode node, Network.TensorDims dims)
    {
        if (node.Layer is ConvolutionLayer conv)
        {
            return (n => conv.Problem(n, dims), conv.WeightArray, conv.BiasArray, conv.OutputChannels);
        }

        var f = (FullyConnectedLayer)node.Layer;
        var volume = (int)dims.Volume;
        return (n => new ConvProblem(n, volume, 1, 1, f.OutputCount, 1, 1), f.WeightArray, f.BiasArray, f.OutputCount);
    }
}
