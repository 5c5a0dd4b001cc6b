namespace ILGPUInt8.Layers.Builder;

/// <summary>
/// The builder's precision modes, as TensorRT's flags (<see cref="BuilderConfig.Mode"/> sets <see cref="BuilderConfig.Int8"/>
/// and <see cref="BuilderConfig.Fp16"/>): what a layer without a request of its own (<c>LayerPrecision.Auto</c>) may run in.
/// </summary>
public enum BuilderPrecision
{
    /// <summary>Every layer FP32.</summary>
    Fp32,

    /// <summary>Every layer FP16 (half storage, FP32 arithmetic).</summary>
    Fp16,

    /// <summary>INT8 where a kernel exists and the ranges are known, FP32 elsewhere.</summary>
    Int8,

    /// <summary>
    /// INT8 or FP16 per layer. With build-time tactic timing (<see cref="BuilderConfig.TacticTiming"/>: CUDA by default)
    /// each step that can run INT8 is timed against its FP16 form and keeps the faster, and the fastest of that engine,
    /// the rule's and the all-FP16 one is built (TensorRT's way; the choices are in <c>Engine.Tactics</c>). Without timing
    /// (the CPU backend, timing off) a fixed rule: INT8 where a kernel exists and the ranges are known, FP16 elsewhere.
    /// </summary>
    Best,
}
