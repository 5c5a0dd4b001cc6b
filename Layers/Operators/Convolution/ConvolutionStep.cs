using ILGPU;
using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Runtime;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Layers.Operators;

/// <summary>
/// Convolution and fully connected (the 1×1 convolution of [N, 1, 1, C·H·W], weights put in NHWC column order), NHWC.
/// FP32: the direct kernel with bias and activation fused. INT8: <see cref="ConvS8"/> (implicit GEMM on dp4a, or the
/// direct variant) with requantize (+ table) fused into the epilogue, parameters from <see cref="Int8Parameters"/>.
/// With a fused residual sum (<see cref="PlanNode.ResidualThreshold"/>) the epilogue is <see cref="RequantizeSumEpilogue"/>
/// (integer-only: <see cref="FixedPointRequantizeSumEpilogue"/>).
/// A stem (groups = 1, C &lt; 16, R·S &gt; 1, e.g. RGB 7×7) runs as <see cref="Im2Col"/> into a scratch matrix and the 1×1
/// convolution of it, which the tensor cores take (C = Kp, a multiple of 32), unless it folds (<see cref="ConvStemFold"/>,
/// space-to-depth into 16·k channels at stride 1, no more k tiles than the im2col GEMM): then <see cref="StemFold"/>
/// writes the folded input (from the engine's float input with its quantize fused when this step is the input's only
/// reader, <see cref="FusedInput"/>; or from uint8 images through a table) and the implicit GEMM gathers the folded
/// patch itself. <c>ILGPUINT8_STEM</c> = <c>im2col</c> forces the im2col path, <c>fold</c> the fold without the input fusion.
/// An INT8 fully connected layer whose only reader is an INT8 channel softmax with float output (a classifier's tail)
/// runs the softmax and its dequantize in the same launch up to <see cref="FusedSoftMaxBatchLimit"/> rows
/// (<see cref="FullyConnectedSoftMax"/>, <see cref="FusedSoftMax"/>); the softmax step then does nothing at that batch.
/// <c>ILGPUINT8_FC_SOFTMAX</c> = <c>off</c> keeps them apart.
/// </summary>
internal sealed class ConvolutionStep : Step, ITunableStep
{
    private readonly Func<int, ConvProblem> _problem;
    private readonly ArrayView<float> _weights;
    private readonly ArrayView<float> _paddedWeights;
    private readonly ArrayView<float> _bias;
    private readonly PackedConvWeights? _packed;
    private readonly ArrayView<float> _multiplier;
    private readonly ArrayView<int> _biasQ;
    private readonly ArrayView<sbyte> _lut;
    private readonly ArrayView<FixedPointChannel> _channels;
    private readonly Int8Parameters? _int8;
    private readonly ResidualSum? _residual;
    private readonly int _paddedC;
    private readonly bool _padChannels;
    private readonly int _im2colColumns;
    private readonly Func<int, ConvProblem>? _stemProblem;
    private readonly ConvStemFold? _fold;
    private readonly int _fusedInput = -1;
    private readonly long _scratchBytes;
    private readonly ArrayView<Int4> _softMaxWeights;
    private readonly ArrayView<float> _softMaxExp;

    public ConvolutionStep(Engine engine, PlanNode node)
        : base(engine, node)
    {
        var dims = Input().Dims;
        float[] w;
        float[]? bias;
        int k, cg, r, s;
        bool fc = node.Layer is FullyConnectedLayer;
        if (node.Layer is ConvolutionLayer conv)
        {
            _problem = n => conv.Problem(n, dims);
            (w, bias, k, cg, r, s) = (conv.WeightArray, conv.BiasArray, conv.OutputChannels, dims.C / conv.Groups, conv.Kernel.H, conv.Kernel.W);
        }
        else
        {
            var f = (FullyConnectedLayer)node.Layer;
            var volume = (int)dims.Volume;
            _problem = n => new ConvProblem(n, volume, 1, 1, f.OutputCount, 1, 1);
            (w, bias, k, cg, r, s) = (f.WeightArray, f.BiasArray, f.OutputCount, volume, 1, 1);
        }

        // Public order (KCRS, or [K][C·H·W] in NCHW flatten order) → the kernels' K-contiguous NHWC order.
        T[] Relayout<T>(T[] v) => fc ? WeightLayout.FullyConnectedNchwToNhwc<T>(v, k, dims.C, dims.H, dims.W) : WeightLayout.KcrsToKrsc<T>(v, k, cg, r, s);
        if (!node.Int8)
        {
            var dense = Relayout(w);
            _weights = Upload(dense);
            _bias = Upload(bias ?? new float[k]);

            // Rows of R·S·C not a multiple of 4 floats (the RGB stem): a copy in 16-byte rows for the register-blocked kernel
            // (its gathered-word loader). On CUDA opt-in (ILGPUINT8_FP32_CONV=simt) until that path has run on a GPU: the
            // session that wrote it had no device time left (CPU accelerator: bit for bit with the tiled kernel).
            var rows = cg * r * s;
            bool paddedPath = !engine.Device.IsCuda || ConvolutionFloat.PaddedOnCuda;
            if (rows % 4 != 0 && cg == dims.C && paddedPath)
            {
                _paddedWeights = Upload(WeightLayout.PadRows<float>(dense, k, rows, ConvFloatSimt.WeightStride(_problem(1))));
            }

            return;
        }

        // Fixed when the step is built (ScratchFor reads ILGPUINT8_STEM, which may change later in the process).
        _scratchBytes = ScratchFor(Plan, node);
        _int8 = Int8Parameters.ForNode(Plan, node, w, k, cg * r * s, bias);
        _residual = Int8Parameters.ResidualOf(Plan, node);
        var krsc = Relayout(_int8.Weights);
        var p1 = _problem(1);
        _paddedC = p1.C;
        var (stemColumns, paddedC) = Widening(p1, fc);
        if (FoldFor(p1, fc) is { } fold)
        {
            // A folded stem: z = fold(x) [N, H2, W2, C2], then the stride-1 convolution of z with the folded weights.
            _fold = fold;
            _fusedInput = FusedInputOf(Plan, node);
            krsc = fold.FoldWeights(krsc);
            _problem = n => fold.Folded with { N = n };
        }
        else if (stemColumns > 0)
        {
            // A stem: x [N, H, W, C] → im2col A [N·P·Q, Kp] (Kp = R·S·C rounded up to 32), then the 1×1 convolution of A
            // with the KRSC rows zero-padded to Kp: the same int32 products plus zeros, so the same bits as the direct path.
            _im2colColumns = stemColumns;
            krsc = Im2Col.PadWeightRows(krsc, k, _im2colColumns);
            var stem = _stemProblem = _problem;
            _problem = n => Im2Col.GemmProblem(stem(n), _im2colColumns);
        }
        else if (paddedC > 0)
        {
            // A few input channels (an RGB image): widen them to a multiple of 4 with zeros, and the weights with zero
            // taps, so the packed implicit GEMM runs instead of the direct kernel; the sums are unchanged.
            _paddedC = paddedC;
            _padChannels = true;
            krsc = Im2Col.PadWeightRows(krsc, k * r * s, _paddedC);
            var inner = _problem;
            _problem = n => inner(n) with { C = _paddedC };
        }

        _packed = Own(new PackedConvWeights(Device, krsc, _problem(1)));
        if (SoftMaxAfter(Plan, node) is { } softMax)
        {
            // The fused classifier tail: the weights [K][C] again as 16-byte words [C/16][K], and the softmax's exp table
            // from this step's output scale (what the softmax step would build from its input).
            FusedSoftMax = softMax;
            _softMaxWeights = Upload(FullyConnectedSoftMax.Pack(krsc, k, cg));
            _softMaxExp = Upload(Int8LookupTable.SoftMaxExp(Output.Scale));
        }

        _multiplier = Upload(_int8.Multiplier);
        _biasQ = Upload(_int8.Bias);
        _lut = Upload(_int8.Lut ?? new sbyte[256]);
        if (_int8.FixedPoint is { } channels)
        {
            _channels = Upload(channels);
        }
    }

    public override int Launches => _padChannels || _im2colColumns > 0 || _fold is not null ? 2 : 1;

    /// <inheritdoc />
    public override int FusedInput => _fusedInput;

    /// <summary>The environment variable that picks the stem path: <c>im2col</c>, <c>fold</c> (no input fusion), else both.</summary>
    internal const string StemEnvironmentVariable = "ILGPUINT8_STEM";

    /// <summary>
    /// The fold of an INT8 stem (problem at batch 1; as <see cref="Widening"/>: groups = 1, C &lt; 16, R·S &gt; 1), when one
    /// exists (<see cref="ConvStemFold.Plan"/>), <c>ILGPUINT8_STEM</c> is not <c>im2col</c>, and its k tiles (128 bytes of
    /// R2·S2·C2 each) are no more than the im2col GEMM's (⌈Kp / 128⌉): a stride-1 RGB 3×3 (16 channels for 3) stays im2col.
    /// </summary>
    internal static ConvStemFold? FoldFor(ConvProblem p1, bool fullyConnected)
    {
        int columns = Widening(p1, fullyConnected).Im2ColColumns;
        if (columns <= 0
            || string.Equals(Environment.GetEnvironmentVariable(StemEnvironmentVariable), "im2col", StringComparison.OrdinalIgnoreCase)
            || ConvStemFold.Plan(p1) is not { } fold)
        {
            return null;
        }

        return ConvMma.KTiles(fold.Folded) <= ConvMma.KTiles(Im2Col.GemmProblem(p1, columns)) ? fold : null;
    }

    /// <summary>
    /// The engine input (index into <see cref="Plan.Inputs"/>) a folded stem reads straight from its float staging buffer
    /// (the input convert fused into the fold): its input tensor, of <paramref name="type"/> (INT8, or FP16 for the FP16
    /// stem), is an engine input that no other node reads and that is no output; else −1 (also when
    /// <paramref name="environmentVariable"/> is <c>fold</c>: <c>ILGPUINT8_STEM</c>, <c>ILGPUINT8_FP16_STEM</c>).
    /// </summary>
    internal static int FusedInputOf(Plan plan, PlanNode node, DataType type = DataType.Int8, string environmentVariable = StemEnvironmentVariable)
    {
        int id = node.Inputs[0];
        int index = plan.Inputs.IndexOf(id);
        var t = plan.Tensors[id];
        bool alone = plan.Nodes.Sum(n => n.Inputs.Count(i => i == id)) == 1 && !plan.Outputs.Contains(id);
        bool off = string.Equals(Environment.GetEnvironmentVariable(environmentVariable), "fold", StringComparison.OrdinalIgnoreCase);
        return index >= 0 && alone && !off && t.Type == type && t.Constant is null && t.AliasOf < 0 ? index : -1;
    }

    public override long ScratchBytes => _scratchBytes;

    /// <summary>The environment variable that keeps the classifier tail unfused: <c>off</c>.</summary>
    internal const string FcSoftMaxEnvironmentVariable = "ILGPUINT8_FC_SOFTMAX";

    /// <summary>The softmax step whose work this fully connected step does in the same launch, or null.</summary>
    public PlanNode? FusedSoftMax { get; }

    /// <summary>
    /// Largest batch the fused tail runs at. Measured on an H100 (session 17, ResNet-18 INT8, 512 → 1000): fused 0.012 ms
    /// at b1 vs FC + softmax apart 0.020; b64 0.019 vs 0.017; b256 0.026 vs 0.019 (the dp4a dot products lose to the
    /// tensor-core GEMM once the batch fills it).
    /// </summary>
    internal const int FusedSoftMaxBatchLimit = 16;

    /// <summary>
    /// True when this step runs <see cref="FusedSoftMax"/>'s work in <paramref name="context"/> at <paramref name="batch"/>:
    /// up to <see cref="FusedSoftMaxBatchLimit"/> rows, and not while every tensor must be written by its own step.
    /// </summary>
    public bool SoftMaxIn(ExecutionContext context, int batch) => FusedSoftMax is not null && !context.Unfused && batch <= FusedSoftMaxBatchLimit;

    // The fused softmax's row-group counters: enough for the largest batch that runs fused.
    private static int SoftMaxCounters(Plan plan) => FullyConnectedSoftMax.Counters(Math.Min(plan.MaxBatchSize, FusedSoftMaxBatchLimit));

    /// <summary>
    /// The softmax an INT8 fully connected <paramref name="node"/> can run in its own launch: the only reader of its output
    /// (which is no engine output), INT8 along the channels with float output, in a plan that is not integer-only, no
    /// fused residual sum, and <c>ILGPUINT8_FC_SOFTMAX</c> is not <c>off</c>; else null.
    /// </summary>
    internal static PlanNode? SoftMaxAfter(Plan plan, PlanNode node)
    {
        if (!node.Int8 || node.Layer is not FullyConnectedLayer || plan.IntegerOnly || node.ResidualThreshold is not null
            || plan.Outputs.Contains(node.Output) || plan.Tensors[node.Output].Type != DataType.Int8
            || string.Equals(Environment.GetEnvironmentVariable(FcSoftMaxEnvironmentVariable), "off", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var readers = plan.Consumers(node.Output).ToList();
        return readers is [{ Int8: true, Layer: SoftMaxLayer { Axis: ItemAxis.Channel } } softMax] && softMax.Inputs.Count == 1
            && plan.Tensors[softMax.Output].Type == DataType.Float
            ? softMax : null;
    }

    /// <summary>
    /// How an INT8 convolution widens its input (problem at batch 1): the im2col columns Kp of a stem (groups = 1,
    /// C &lt; 16, R·S &gt; 1), else C rounded up to a multiple of 4 (groups = 1, C &lt; 16 not a multiple of 4), else zeros.
    /// </summary>
    internal static (int Im2ColColumns, int PaddedC) Widening(ConvProblem p1, bool fullyConnected) =>
        fullyConnected || p1.Groups != 1 || p1.C >= 16 ? (0, 0)
        : p1.R * p1.S > 1 ? (Im2Col.Columns(p1), 0)
        : p1.C % 4 != 0 ? (0, (p1.C + 3) / 4 * 4)
        : (0, 0);

    /// <summary>
    /// Bytes of the scratch buffer a context allocates for this node on the ILGPU backends, known from the plan before
    /// the step exists (the engine's memory check counts it).
    /// </summary>
    internal static long ScratchFor(Plan plan, PlanNode node)
    {
        if (SoftMaxAfter(plan, node) is not null)
        {
            return SoftMaxCounters(plan) * sizeof(int);
        }

        if (!node.Int8 || node.Layer is not ConvolutionLayer conv)
        {
            return 0;
        }

        var input = plan.Tensors[node.Inputs[0]].Dims;
        var p1 = conv.Problem(1, input);
        if (FoldFor(p1, fullyConnected: false) is { } fold)
        {
            // The folded input [N, H2, W2, C2] at the maximum batch.
            return checked(plan.MaxBatchSize * fold.FoldedBytes);
        }

        var (columns, paddedC) = Widening(p1, fullyConnected: false);
        // The im2col matrix [N·P·Q, Kp] or the channel-padded input [N·H·W, C'] at the maximum batch.
        return checked(columns > 0 ? (long)plan.MaxBatchSize * plan.Tensors[node.Output].Dims.Plane * columns
            : (long)plan.MaxBatchSize * input.Plane * paddedC);
    }

    /// <summary>
    /// The variant <see cref="ConvVariants.Select"/> takes for this layer at the maximum batch (with its tile when it picks
    /// one per problem), after the im2col or channel-padding launch when there is one; FP32: the register-blocked kernel
    /// (ConvFloatSimt) with its tile, the tiled kernel, or the
    /// direct one for a grouped convolution.
    /// </summary>
    public override string KernelName => FusedSoftMax is { } softMax ? $"fc_softmax_s8 (+ softmax '{softMax.Name}' and its dequantize, one launch, up to batch {FusedSoftMaxBatchLimit}; else {ChooseKernelName()})" : ChooseKernelName();

    public override void Run(ExecutionContext context, int batch)
    {
        var p = _problem(batch);
        if (_int8 is null)
        {
            if (_paddedWeights.Length > 0)
            {
                ConvolutionFloat.RunPadded(Device, context.View<float>(Input(), batch), _weights, _paddedWeights, _bias, context.View<float>(Output, batch), p, Node.Fused);
            }
            else
            {
                ConvolutionFloat.Run(Device, context.View<float>(Input(), batch), _weights, _bias, context.View<float>(Output, batch), p, Node.Fused);
            }

            return;
        }

        var x = _fusedInput >= 0 ? default : context.View<sbyte>(Input(), batch);
        var dims = Input().Dims;
        if (_fold is not null)
        {
            var z = context.Scratch<sbyte>(this, ScratchBytes);
            var fold = _fold.WithBatch(batch);
            if (_fusedInput < 0)
            {
                StemFold.FromS8Nhwc(Device, x, fold, z);
            }
            else if (context.ImageInput(_fusedInput, batch) is (var bytes, var table))
            {
                StemFold.FromU8Nhwc(Device, bytes, table, fold, z);
            }
            else
            {
                StemFold.FromF32Nchw(Device, context.InputStaging(_fusedInput, batch), fold, z, Input().Scale);
            }

            x = z;
        }
        else if (_im2colColumns > 0)
        {
            // The gemm problem's input is the im2col matrix [N, P, Q, Kp] (H = P, W = Q).
            var a = context.Scratch<sbyte>(this, ScratchBytes);
            Im2Col.Run(Device, x, _stemProblem!(batch), a, _im2colColumns);
            x = a;
        }
        else if (_padChannels)
        {
            var padded = context.Scratch<sbyte>(this, ScratchBytes);
            ChannelPad.Run(Device, x, padded, batch * dims.Plane, dims.C, _paddedC);
            x = padded;
        }

        var y = context.View<sbyte>(Output, batch);
        if (SoftMaxIn(context, batch))
        {
            // y holds the logits q; the softmax's float output is written in the same launch.
            var counters = context.Scratch<int>(this, SoftMaxCounters(Plan), zeroed: true);
            var requantize = new FullyConnectedRequantize(_multiplier, _biasQ, _int8.Lo, _int8.Lut is null ? default : _lut);
            FullyConnectedSoftMax.Int8(Device, x, _softMaxWeights, requantize, _softMaxExp, y, counters, context.View<float>(Plan.Tensors[FusedSoftMax!.Output], batch), batch, p.C, p.K);
            return;
        }

        var variant = VariantFor(p, batch);
        if (_int8.FixedPoint is not null && _residual is { } fixedSum)
        {
            // Integer-only with a fused residual sum: Q31 requantize to the convolution's own scale, then the integer sum.
            ConvS8.Forward(Device, x, TensorFormat.NHWC, _packed!, p, new FixedPointRequantizeSumEpilogue(y, p.K, _channels, context.View<sbyte>(Input(1), batch), p.K, fixedSum), variant);
        }
        else if (_int8.FixedPoint is not null)
        {
            // Integer-only: Q31 multiplier and rounding shift, then the integer-built table when one is fused.
            ConvS8.Forward(Device, x, TensorFormat.NHWC, _packed!, p, new FixedPointRequantizeEpilogue(y, p.K, _channels, _int8.Lo, _lut, _int8.Lut is null ? 0 : 1), variant);
        }
        else if (_residual is { } sum)
        {
            // The fused residual sum: y = Sum(requantized conv output, skip) (+ ReLU), the skip NHWC like y.
            // SkipAddress lets the tensor-core kernels copy the block's skip tile into shared memory ahead of the epilogue.
            var skip = context.View<sbyte>(Input(1), batch);
            ConvS8.Forward(Device, x, TensorFormat.NHWC, _packed!, p, new RequantizeSumEpilogue(y, p.K, _multiplier, _biasQ, skip, p.K, sum) { SkipAddress = OperandTile.DeviceAddress(skip) }, variant);
        }
        else if (_int8.Lut is null)
        {
            ConvS8.Forward(Device, x, TensorFormat.NHWC, _packed!, p, new RequantizeEpilogue(y, p.K, _multiplier, _biasQ, _int8.Lo), variant);
        }
        else
        {
            ConvS8.Forward(Device, x, TensorFormat.NHWC, _packed!, p, new RequantizeLutEpilogue(y, p.K, _multiplier, _biasQ, _lut), variant);
        }
    }

    /// <inheritdoc />
    public string? Trial { get; set; }

    /// <summary>The input's byte offset the kernels see (0 for the scratch buffers of a fold, im2col or channel pad).</summary>
    private long InputOffset => _im2colColumns > 0 || _padChannels || _fold is not null ? 0 : Input().Offset;

    /// <inheritdoc />
    public IReadOnlyList<string> Candidates(int batch)
    {
        if (_int8 is null || (FusedSoftMax is not null && batch <= FusedSoftMaxBatchLimit) || Environment.GetEnvironmentVariable(ConvVariants.ForceEnvironmentVariable) is { Length: > 0 })
        {
            // Nothing to choose: FP32, the fused classifier tail at this batch (one kernel), or a forced variant.
            return [];
        }

        var p = _problem(batch);
        return [.. ConvVariants.All.Where(v => v.CanImplement(Device, p, TensorFormat.NHWC, InputOffset) is null).Select(v => v.Name)];
    }

    /// <inheritdoc />
    public string TimingProblem(int batch)
    {
        string epilogue = _int8 is null ? "f32"
            : _int8.FixedPoint is not null ? (_residual is null ? "fixed" : "fixed+sum")
            : _residual is not null ? "requantize+sum"
            : _int8.Lut is null ? "requantize" : "requantize+lut";
        string input = _fold is not null ? "fold" : _im2colColumns > 0 ? "im2col" : _padChannels ? "pad" : $"x%16={InputOffset % 16}";
        return $"conv {_problem(batch)} {epilogue} {input}";
    }

    /// <summary>
    /// The variant a run at <paramref name="batch"/> names: the trial of tactic timing; else the tactic timed at the
    /// batch nearest to <paramref name="batch"/> (|log2 ratio|), when it exists in this build and can run the problem;
    /// else null (the heuristic choice, or <c>ILGPUINT8_CONV</c> when set: forcing a variant overrides the tactics).
    /// </summary>
    private string? VariantFor(ConvProblem p, int batch)
    {
        if (Trial is not null)
        {
            return Trial;
        }

        var tactics = Node.Tactics;
        if (tactics.Count == 0 || Environment.GetEnvironmentVariable(ConvVariants.ForceEnvironmentVariable) is { Length: > 0 })
        {
            return null;
        }

        var name = tactics.MinBy(t => Math.Abs(Math.Log2((double)t.Batch / batch))).Variant;
        var variant = ConvVariants.Registry.Find(name);
        return variant is not null && variant.CanImplement(Device, p, TensorFormat.NHWC, InputOffset) is null ? name : null;
    }

    private string ChooseKernelName()
    {
        var p = _problem(Plan.MaxBatchSize);
        if (_int8 is null)
        {
            return p.CPerGroup != p.C ? "conv_f32_direct"
                : !ConvolutionFloat.TiledForced && (p.C % 4 == 0 || _paddedWeights.Length > 0)
                    ? $"conv_f32_simt_{ConvFloatSimt.Tile(Device, p).Name}" : "conv_f32_tiled";
        }

        string variant;
        var tactic = VariantFor(p, Plan.MaxBatchSize);
        try
        {
            var chosen = ConvVariants.Select(Device, p, TensorFormat.NHWC, tactic, InputOffset);
            variant = chosen switch
            {
                ConvMmaAuto auto when auto.Plan(Device, p) is var (tile, splits) => $"{chosen.Name} ({tile.Name}{(splits > 1 ? $", split-K {splits}" : string.Empty)})",
                ConvWgmma { TileN: 0 } wgmma => $"{chosen.Name} ({wgmma.Choose(p).Name})",
                ConvDp4aImplicitGemm dp4a when dp4a.Plan(Device, p) is var plan => $"{chosen.Name} ({plan.Tile.Name}, split-K {plan.Splits})",
                _ => chosen.Name,
            };
        }
        catch (Exception ex) when (ex is NotSupportedException or ArgumentException)
        {
            variant = $"none ({ex.Message})";
        }

        variant += tactic is null ? string.Empty : " [timed]";

        if (_fold is not null)
        {
            return $"{(_fusedInput < 0 ? "stem_fold_s8" : "stem_fold_quantize (input convert fused)")} {_fold.Folded.R}x{_fold.Folded.S}x{_fold.Folded.C} + {variant}";
        }

        return _im2colColumns > 0 ? $"im2col_s8 + {variant}" : _padChannels ? $"channel_pad_s8 + {variant}" : variant;
    }
}
