using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Kernels.Cpu;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Runtime;

namespace ILGPUInt8.Layers.Builder;

/// <summary>
/// How <see cref="EngineBuilder.Build(NetworkDefinition, BuilderConfig)"/> builds: maximum batch, INT8 on or off, where ranges come from (per tensor
/// <see cref="Tensor.SetDynamicRange"/> first, then <see cref="CalibrationTable"/>, then <see cref="Calibrator"/>),
/// per-layer precision overrides, fusion and memory reuse switches.
/// </summary>
public sealed class BuilderConfig
{
    /// <summary>Largest batch the engine runs (buffers are sized for it).</summary>
    public int MaxBatchSize { get; set; } = 1;

    /// <summary>Allow INT8 layers (where a kernel exists and ranges are known).</summary>
    public bool Int8 { get; set; }

    /// <summary>
    /// Allow FP16 layers: a layer without a precision request of its own that does not run INT8 runs FP16 (its output and
    /// weights rounded to half, round-to-nearest-even; FP32 arithmetic) instead of FP32.
    /// </summary>
    public bool Fp16 { get; set; }

    /// <summary>
    /// Allow TF32 for FP32 layers (PyTorch's <c>allow_tf32</c>, TensorRT's TF32 flag; on by default): on CUDA (sm_80+) an
    /// FP32 convolution (groups 1) or fully connected layer with no fused activation other than ReLU runs on the tensor
    /// cores with its operands rounded to TF32 (10 mantissa bits, ties away from zero) and FP32 accumulation. False keeps
    /// strict FP32 everywhere. Allowed, not imposed: with tactic timing on, the engine is also built in strict FP32 and the
    /// faster of the two as timed is kept (<see cref="Engine.Tf32"/> says which; the "(tf32)" entry of
    /// <see cref="Engine.Tactics"/> holds both totals). The CPU backend and the CPU accelerator compute such steps in FP32 either way (TF32 is a
    /// tensor-core format; PyTorch's switch does nothing on the CPU either). The calibration run is always strict FP32.
    /// </summary>
    public bool Tf32 { get; set; } = true;

    /// <summary>
    /// The precision mode as one value (TensorRT's <c>fp32</c>, <c>fp16</c>, <c>int8</c>, <c>best</c>): reads and sets
    /// <see cref="Int8"/> and <see cref="Fp16"/> (best = both).
    /// </summary>
    public BuilderPrecision Mode
    {
        get => (Int8, Fp16) switch
        {
            (false, false) => BuilderPrecision.Fp32,
            (false, true) => BuilderPrecision.Fp16,
            (true, false) => BuilderPrecision.Int8,
            _ => BuilderPrecision.Best,
        };
        set
        {
            Int8 = value is BuilderPrecision.Int8 or BuilderPrecision.Best;
            Fp16 = value is BuilderPrecision.Fp16 or BuilderPrecision.Best;
        }
    }

    /// <summary>
    /// Integer-only engine (needs <see cref="Int8"/>): every INT8 step computes with integers and shifts only: the
    /// requantize of convolutions, deconvolutions and fully connected layers through a Q31 multiplier and a rounding shift
    /// (<c>FixedPointMultiplier</c>) instead of a float multiplier, activation tables (sigmoid, tanh, leaky ReLU, clip)
    /// built with the fixed-point library, softmax as integer exp table, int64 sum and integer division (int8 output,
    /// T = 1). The build fails with a <see cref="NetworkException"/> naming the layer when a step would still compute with
    /// float: an FP32 layer (no INT8 kernel or no range), or an INT8 layer without an integer form. Only the engine's
    /// float boundary stays: the quantize of its inputs and the final dequantize of its outputs. Residual sums are not
    /// fused into convolutions (that epilogue has a float multiplier).
    /// </summary>
    public bool IntegerOnly { get; set; }

    /// <summary>Fuse activations into convolutions and element-wise layers (results are identical either way).</summary>
    public bool Fusion { get; set; } = true;

    /// <summary>
    /// Fuse an INT8 residual sum (and its ReLU) into the convolution that computes one of its operands (results are
    /// identical either way). Off by default: measured on the H200 (2026-12-06, `Perf engine --cases resnet18,resnet50
    /// --residual-ab`), the fused engine is slower at every batch even with the skip tile prefetched into shared memory
    /// (Kernels.Gemm.OperandTile): ResNet-18 INT8 b256 4.84 vs 4.30 ms unfused, b64 1.46 vs 1.29, b1 0.364 vs 0.348;
    /// ResNet-50 b256 16.3 vs 13.6 ms. A fused block-final convolution took 0.57 ms against 0.30 ms + a 0.11 ms add
    /// (layer1, b256). Set true to fuse (fewer launches; Perf/NOTES.md).
    /// </summary>
    public bool FuseResidualSums { get; set; }

    /// <summary>
    /// Build-time tactic timing (TensorRT's way): <see cref="TacticTiming.Auto"/> times on CUDA devices only (unless
    /// <c>ILGPUINT8_TACTICS</c> = off), <see cref="TacticTiming.On"/> on any ILGPU device (the CPU accelerator too, for
    /// tests), <see cref="TacticTiming.Off"/> keeps the heuristic choice. The CPU backend has nothing to time.
    /// </summary>
    public TacticTiming TacticTiming { get; set; } = TacticTiming.Auto;

    /// <summary>Where timed choices are looked up first and recorded (null: a cache shared by the process's builds).</summary>
    public TimingCache? TimingCache { get; set; }

    /// <summary>Timed runs per candidate (the median is kept).</summary>
    public int TacticRepeats { get; set; } = 5;

    /// <summary>Reuse activation memory between tensors whose lifetimes do not overlap.</summary>
    public bool MemoryReuse { get; set; } = true;

    /// <summary>Thresholds T by tensor name (e.g. read from a calibration cache); T/127 is the scale.</summary>
    public IReadOnlyDictionary<string, float>? CalibrationTable { get; set; }

    /// <summary>
    /// Tensors a <see cref="CalibrationTable"/> may lack: the layers that read or write them run in FP32. Any other tensor
    /// an INT8-capable layer needs and the table lacks is an error (a table missing a tensor is a wrong table far more
    /// often than a wish for FP32).
    /// </summary>
    public ISet<string> AllowMissingRanges { get; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>How the engine's inputs will be prepared (null: not stated, not checked).</summary>
    public Preprocessing? InputPreprocessing { get; set; }

    /// <summary>
    /// How the data the <see cref="CalibrationTable"/> was measured on was prepared (the table records it; null: unknown).
    /// When both this and <see cref="InputPreprocessing"/> are known they must match: ranges measured on other inputs do
    /// not fit.
    /// </summary>
    public Preprocessing? CalibrationPreprocessing { get; set; }

    /// <summary>Computes thresholds by running the network in FP32 over calibration data (used when INT8 is on).</summary>
    public IRangeCalibrator? Calibrator { get; set; }

    /// <summary>The rules that turn calibrated ranges into the thresholds an engine uses (see <see cref="Layers.Builder.CalibrationPolicy"/>).</summary>
    public CalibrationPolicy CalibrationPolicy { get; set; } = CalibrationPolicy.Default;

    /// <summary>Largest batch the calibrator runs (null: <see cref="MaxBatchSize"/>).</summary>
    public int? CalibrationBatchSize { get; set; }

    /// <summary>
    /// The instruction-set variant of the CPU backend's INT8 kernels (null: <c>ILGPUINT8_CPU_ISA</c>, else the best the
    /// processor supports); ignored by the ILGPU backends. Every variant gives the same bits.
    /// </summary>
    public CpuIsa? CpuIsa { get; set; }

    /// <summary>Per-layer precision by layer name (overrides <see cref="Layer.Precision"/>).</summary>
    public Dictionary<string, LayerPrecision> LayerPrecisions { get; } = new(StringComparer.Ordinal);

    /// <summary>The precision asked of a layer: <see cref="LayerPrecisions"/> by its name, else <see cref="Layer.Precision"/>.</summary>
    internal LayerPrecision Request(Layer layer) => LayerPrecisions.TryGetValue(layer.Name, out var p) ? p : layer.Precision;

    /// <summary>Throws when a setting is out of range.</summary>
    internal void Validate()
    {
        if (MaxBatchSize <= 0)
        {
            throw new ArgumentException($"MaxBatchSize ({MaxBatchSize}) must be positive.", nameof(MaxBatchSize));
        }

        if (TacticRepeats <= 0)
        {
            throw new ArgumentException($"TacticRepeats ({TacticRepeats}) must be positive.", nameof(TacticRepeats));
        }

        if (CalibrationBatchSize is <= 0)
        {
            throw new ArgumentException($"CalibrationBatchSize ({CalibrationBatchSize}) must be positive.", nameof(CalibrationBatchSize));
        }

        if (IntegerOnly && !Int8)
        {
            throw new ArgumentException("IntegerOnly needs Int8: an integer-only engine runs every layer in INT8.", nameof(IntegerOnly));
        }

        ArgumentNullException.ThrowIfNull(CalibrationPolicy);
        if (CalibrationTable is not null)
        {
            if (CalibrationTable.Count == 0)
            {
                throw new ArgumentException("The calibration table is empty: it would run every layer in FP32.", nameof(CalibrationTable));
            }

            foreach (var (name, t) in CalibrationTable)
            {
                if (!float.IsFinite(t) || t < Calibration.Tables.CalibrationTable.MinScale * 127f || t > Calibration.Tables.CalibrationTable.MaxThreshold)
                {
                    throw new ArgumentException(
                        $"Calibration table threshold of '{name}' ({t:R}) is outside [{Calibration.Tables.CalibrationTable.MinScale * 127f:G}, {Calibration.Tables.CalibrationTable.MaxThreshold:G}].",
                        nameof(CalibrationTable));
                }
            }
        }

        if (InputPreprocessing is not null && CalibrationPreprocessing is not null && !InputPreprocessing.Matches(CalibrationPreprocessing))
        {
            throw new ArgumentException(
                $"The calibration table was measured on inputs prepared as {CalibrationPreprocessing}, but the engine's inputs are prepared as {InputPreprocessing}: calibrate again with the engine's preprocessing.",
                nameof(CalibrationPreprocessing));
        }
    }
}

/// <summary>Whether the builder times kernel variants per layer (<see cref="BuilderConfig.TacticTiming"/>).</summary>
public enum TacticTiming
{
    /// <summary>On CUDA devices, unless <c>ILGPUINT8_TACTICS</c> = off; off on the CPU accelerator.</summary>
    Auto,

    /// <summary>On every ILGPU device.</summary>
    On,

    /// <summary>Never: the heuristic choice.</summary>
    Off,
}
