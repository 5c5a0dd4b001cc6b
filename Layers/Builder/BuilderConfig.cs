using ILGPUInt8.Kernels.Cpu;

namespace ILGPUInt8.Layers;

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

    /// <summary>Fuse activations into convolutions and element-wise layers (results are identical either way).</summary>
    public bool Fusion { get; set; } = true;

    /// <summary>Reuse activation memory between tensors whose lifetimes do not overlap.</summary>
    public bool MemoryReuse { get; set; } = true;

    /// <summary>Thresholds T by tensor name (e.g. read from a calibration cache); T/127 is the scale.</summary>
    public IReadOnlyDictionary<string, float>? CalibrationTable { get; set; }

    /// <summary>Computes thresholds by running the network in FP32 over calibration data (used when INT8 is on).</summary>
    public IRangeCalibrator? Calibrator { get; set; }

    /// <summary>The rules that turn calibrated ranges into the thresholds an engine uses (see <see cref="Layers.CalibrationPolicy"/>).</summary>
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

    /// <summary>Throws when a setting is out of range.</summary>
    internal void Validate()
    {
        if (MaxBatchSize <= 0)
        {
            throw new ArgumentException($"MaxBatchSize ({MaxBatchSize}) must be positive.", nameof(MaxBatchSize));
        }

        if (CalibrationBatchSize is <= 0)
        {
            throw new ArgumentException($"CalibrationBatchSize ({CalibrationBatchSize}) must be positive.", nameof(CalibrationBatchSize));
        }

        ArgumentNullException.ThrowIfNull(CalibrationPolicy);
        if (CalibrationTable is not null)
        {
            foreach (var (name, t) in CalibrationTable)
            {
                if (!(t > 0f) || !float.IsFinite(t))
                {
                    throw new ArgumentException($"Calibration table threshold of '{name}' ({t}) must be finite and > 0.", nameof(CalibrationTable));
                }
            }
        }
    }
}
