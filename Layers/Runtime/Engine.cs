using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Calibration.IO;
using ILGPUInt8.Kernels.Cpu;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Runtime;

/// <summary>A network input or output of an engine: name and per-item dimensions (data is NCHW float).</summary>
/// <param name="Name">Tensor name.</param>
/// <param name="Dims">Per-item dimensions.</param>
public sealed record EngineBinding(string Name, TensorDims Dims);

/// <summary>One step of an engine as built: the network layers it computes, its precision and fused activation.</summary>
/// <param name="Name">Step name (the first layer's, or the converted tensor's for a quantize/dequantize).</param>
/// <param name="Type">Layer type.</param>
/// <param name="Int8">Runs in INT8.</param>
/// <param name="Layers">Network layers computed by this step (a convolution with its folded batch norm and fused ReLU…).</param>
/// <param name="FusedActivation">The activation fused into it, or None.</param>
public sealed record EngineLayerInfo(string Name, LayerType Type, bool Int8, IReadOnlyList<string> Layers, ActivationSpec FusedActivation)
{
    /// <summary>Runs in FP16 (half values and weights, FP32 arithmetic; never with <see cref="Int8"/>).</summary>
    public bool Half { get; init; }

    /// <summary>
    /// An FP32 step that runs on the tensor cores with its operands rounded to TF32 (<c>BuilderConfig.Tf32</c>, CUDA only;
    /// never with <see cref="Int8"/> or <see cref="Half"/>).
    /// </summary>
    public bool Tf32 { get; init; }

    /// <summary>The step's precision: "INT8", "FP16", "TF32" or "FP32".</summary>
    public string Precision => Int8 ? "INT8" : Half ? "FP16" : Tf32 ? "TF32" : "FP32";

    /// <summary>Per-item dimensions of the step's inputs, in order (a constant operand included).</summary>
    public IReadOnlyList<TensorDims> InputDims { get; init; } = [];

    /// <summary>Per-item dimensions of the step's output.</summary>
    public TensorDims OutputDims { get; init; }

    /// <summary>The kernel (variant, tile) the step launches at the maximum batch (<c>Step.KernelName</c>).</summary>
    public string KernelName { get; init; } = string.Empty;

    /// <summary>Bytes of the step's private work buffer in each context (0 when it needs none).</summary>
    public long ScratchBytes { get; init; }

    /// <summary>An INT8 residual sum (a skip connection's add) is fused into this convolution's epilogue.</summary>
    public bool FusedResidualSum { get; init; }

    /// <summary>
    /// The INT8 softmax after this fully connected step (and its dequantize to the float output) runs in this step's launch
    /// at small batches; the softmax step's kernel name says up to which.
    /// </summary>
    public bool FusedSoftMax { get; init; }

    /// <summary>
    /// What was fused into the step, in order: "+Add" for a residual sum, then "+" and the activation, then "+SoftMax"
    /// ("" for none).
    /// </summary>
    public string Fusions =>
        string.Join(" ", new[] { FusedResidualSum ? "+Add" : null, FusedActivation.IsNone ? null : "+" + FusedActivation, FusedSoftMax ? "+SoftMax" : null }.OfType<string>());

    /// <inheritdoc />
    public override string ToString() =>
        $"{Name,-28} {Type,-15} {Precision,-5} {Fusions} [{string.Join(", ", Layers)}] {string.Join(" ", InputDims)} -> {OutputDims} {KernelName}{(ScratchBytes > 0 ? $" scratch {ScratchBytes} B" : string.Empty)}";
}

/// <summary>Activation memory of an engine at its maximum batch.</summary>
/// <param name="ArenaBytes">Bytes of one context's activation arena (the peak, with reuse).</param>
/// <param name="UnsharedBytes">Bytes all activations would take without reuse.</param>
/// <param name="Tensors">Activation tensors placed.</param>
/// <param name="ScratchBytes">
/// Bytes of the steps' private work buffers one context adds beside its arena (the stem convolution's im2col matrix, a
/// channel-padded input), allocated on first use.
/// </param>
public sealed record MemoryReport(long ArenaBytes, long UnsharedBytes, int Tensors, long ScratchBytes = 0);

/// <summary>
/// A built network bound to one device: immutable steps with their weights uploaded once. Create an
/// <see cref="ExecutionContext"/> per thread (each owns its activation buffers) to run it; several contexts run one
/// engine concurrently with identical results. Activations are NHWC inside (float for FP32 steps, int8 with a per-tensor
/// scale for INT8 steps); inputs and outputs are NCHW float. <see cref="Serialize"/> writes the plan to a versioned file.
/// </summary>
public sealed class Engine : IDisposable
{
    private readonly List<Step> _steps = [];
    private readonly Dictionary<int, MemoryBuffer1D<byte, Stride1D.Dense>> _constants = [];
    private bool _disposed;

    internal Engine(Int8Device device, Plan plan, CpuIsa? hostIsa = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        // With several CUDA devices in a process the thread's current context may be another device's: bind this one.
        device.Accelerator.Bind();
        Device = device;
        Plan = plan;
        HostIsa = hostIsa;
        PlanMemory.Verify(plan);
        EngineResources.Check(plan, device, hostIsa is not null);
        try
        {
            EngineResources.Allocating("the engine's weights and constants", EngineResources.Required(plan, hostIsa is not null).Engine, () =>
            {
                foreach (var t in plan.Tensors.Where(t => t.Constant is not null))
                {
                    _constants[t.Id] = UploadConstant(t);
                }

                foreach (var node in plan.Nodes)
                {
                    _steps.Add(OperatorRegistry.CreateStep(this, node));
                }

                return 0;
            });
        }
        catch
        {
            Dispose();
            throw;
        }

        Inputs = [.. plan.Inputs.Select(i => new EngineBinding(plan.Tensors[i].Name, plan.Tensors[i].Dims))];
        Outputs = [.. plan.Outputs.Select(i => new EngineBinding(plan.Tensors[i].Name, plan.Tensors[i].Dims))];
        Layers = DescribeSteps();
        Memory = new MemoryReport(plan.ArenaBytes, plan.UnsharedBytes, plan.Tensors.Count(t => t.Constant is null && t.AliasOf < 0), ScratchInContext());
        Int8Thresholds = plan.Tensors.Where(t => t.Type == DataType.Int8 && t.Threshold is not null)
            .GroupBy(t => t.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Threshold!.Value, StringComparer.Ordinal);
    }

    // Scratch bytes of one context: every step's own, and the FP16 steps' one widening buffer (the largest need) once.
    private long ScratchInContext() =>
        _steps.Sum(s => s.ScratchBytes - (s is HalfIoStep h ? h.WideningBytes : 0))
        + _steps.OfType<HalfIoStep>().Select(h => h.WideningBytes).DefaultIfEmpty(0).Max();

    // What Layers reports of every step (built again after tactic timing changed the kernels).
    private IReadOnlyList<EngineLayerInfo> DescribeSteps() =>
        [.. Plan.Nodes.Select((n, i) => new EngineLayerInfo(n.Name, n.Layer.Type, n.Int8, n.Sources, n.Fused)
        {
            Half = n.Half,
            Tf32 = _steps[i].RunsTf32,
            InputDims = [.. n.Inputs.Select(id => Plan.Tensors[id].Dims)],
            OutputDims = Plan.Tensors[n.Output].Dims,
            KernelName = _steps[i].KernelName,
            ScratchBytes = _steps[i].ScratchBytes,
            FusedResidualSum = n.ResidualThreshold is not null,
            FusedSoftMax = _steps[i] is ConvolutionStep { FusedSoftMax: not null },
        })];

    /// <summary>
    /// What build-time tactic timing chose (and every candidate's time) when this engine was built with it; empty for an
    /// engine built without timing or read from a file (the file keeps the choices, not the times).
    /// </summary>
    public IReadOnlyList<TacticChoice> Tactics { get; private set; } = [];

    /// <summary>Adds what build-time precision timing chose (<c>best</c>: INT8 or FP16 per step) to <see cref="Tactics"/>.</summary>
    internal void AddTactics(IEnumerable<TacticChoice> choices) => Tactics = [.. Tactics, .. choices];

    /// <summary>Times the tunable steps' variants at <paramref name="batches"/> and keeps the fastest (<see cref="TacticTimer"/>).</summary>
    internal void TuneTactics(IReadOnlyList<int> batches, TimingCache? cache, int repeats)
    {
        Tactics = TacticTimer.Tune(this, batches, cache, repeats);
        Layers = DescribeSteps();
    }

    /// <summary>
    /// The device the engine runs on: its accelerator for the ILGPU backends; for the CPU backend the ILGPU CPU
    /// accelerator whose host memory holds the activations (its kernels are not used).
    /// </summary>
    public Int8Device Device { get; }

    /// <summary>
    /// Which backend runs the steps: "cuda" (ILGPU kernels on a CUDA device), "ilgpu-cpu" (the same kernels on ILGPU's CPU
    /// accelerator, for testing their semantics) or "cpu" (managed SIMD code on CpuThreads' persistent workers, bit-exact with both).
    /// </summary>
    public string BackendName => HostIsa is not null ? "cpu" : Device.IsCuda ? "cuda" : "ilgpu-cpu";

    /// <summary>The instruction-set variant of the CPU backend's INT8 kernels (null on the ILGPU backends).</summary>
    public CpuIsa? HostIsa { get; }

    /// <summary>Largest batch an execution accepts.</summary>
    public int MaxBatchSize => Plan.MaxBatchSize;

    /// <summary>
    /// Whether the engine was built integer-only (<c>BuilderConfig.IntegerOnly</c>): every step between the input
    /// quantize and the output dequantize computes with integers and shifts only.
    /// </summary>
    public bool IntegerOnly => Plan.IntegerOnly;

    /// <summary>
    /// Whether the engine was built with TF32 allowed for its FP32 steps (<c>BuilderConfig.Tf32</c>; false: strict FP32,
    /// and for engine files before version 8). Which steps run TF32 is in <see cref="Layers"/> (precision "TF32").
    /// </summary>
    public bool Tf32 => Plan.Tf32;

    /// <summary>Network inputs.</summary>
    public IReadOnlyList<EngineBinding> Inputs { get; }

    /// <summary>Network outputs.</summary>
    public IReadOnlyList<EngineBinding> Outputs { get; }

    /// <summary>The steps in execution order.</summary>
    public IReadOnlyList<EngineLayerInfo> Layers { get; private set; }

    /// <summary>Activation memory per context.</summary>
    public MemoryReport Memory { get; }

    /// <summary>
    /// Threshold T (scale T/127) of every INT8 activation, by tensor name, as the engine uses it: the calibrated one,
    /// or the one the builder gave it (a fused ReLU's output, a max pooling's output, a max pooling's input).
    /// </summary>
    public IReadOnlyDictionary<string, float> Int8Thresholds { get; }

    internal Plan Plan { get; }

    internal IReadOnlyList<Step> Steps => _steps;

    /// <summary>A new context with its own activation buffers (dispose it).</summary>
    public ExecutionContext CreateExecutionContext()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new ExecutionContext(this);
    }

    /// <summary>Writes the engine to a stream (versioned, checksummed).</summary>
    public void Serialize(Stream stream) => EngineSerializer.Write(Plan, stream);

    /// <summary>Writes the engine to a file.</summary>
    public void Save(string path)
    {
        AtomicFile.Write(path, Serialize);
    }

    /// <summary>Reads an engine written by <see cref="Serialize"/> and binds it to <paramref name="device"/>.</summary>
    public static Engine Deserialize(Stream stream, Int8Device device) => new(device, EngineSerializer.Read(stream));

    /// <summary>
    /// Reads an engine for the backend a device runs by default: the CUDA kernels on a CUDA device, the CPU backend on a
    /// CPU accelerator (<paramref name="isa"/> forces its instruction-set variant).
    /// </summary>
    public static Engine DeserializeFor(Stream stream, Int8Device device, CpuIsa? isa = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        return device.IsCuda ? Deserialize(stream, device) : new(device, EngineSerializer.Read(stream), CpuIsaSupport.Checked(isa));
    }

    /// <summary>Reads an engine for the default backend: CUDA when present, else the CPU backend.</summary>
    public static Engine Deserialize(Stream stream) =>
        Int8Device.CudaPreferred ? Deserialize(stream, Int8Device.Shared(DeviceKind.Cuda)) : DeserializeCpu(stream);

    /// <summary>Reads an engine for the CPU backend (<paramref name="isa"/> forces an instruction-set variant).</summary>
    public static Engine DeserializeCpu(Stream stream, CpuIsa? isa = null) =>
        new(Int8Device.Shared(DeviceKind.Cpu), EngineSerializer.Read(stream), CpuIsaSupport.Checked(isa));

    /// <summary>Reads an engine file for the default backend (CUDA when present, else the CPU backend).</summary>
    public static Engine Load(string path)
    {
        using var file = File.OpenRead(path);
        return Deserialize(file);
    }

    /// <summary>Reads an engine file for the CPU backend.</summary>
    public static Engine LoadCpu(string path, CpuIsa? isa = null)
    {
        using var file = File.OpenRead(path);
        return DeserializeCpu(file, isa);
    }

    /// <summary>Reads an engine file.</summary>
    public static Engine Load(string path, Int8Device device)
    {
        using var file = File.OpenRead(path);
        return Deserialize(file, device);
    }

    /// <summary>A one-line-per-step description.</summary>
    public string Describe() =>
        $"backend {BackendName}{(HostIsa is { } isa ? $" ({isa})" : string.Empty)}{(IntegerOnly ? ", integer-only" : string.Empty)}{(Tf32 ? ", tf32 allowed" : ", strict fp32")}" + Environment.NewLine + string.Join(Environment.NewLine, Layers.Select(l => l.ToString()))
        + Environment.NewLine + $"activation arena {Memory.ArenaBytes} B (without reuse {Memory.UnsharedBytes} B), step scratch {Memory.ScratchBytes} B, max batch {MaxBatchSize}";

    /// <summary>The device bytes of a constant tensor (one item, NHWC).</summary>
    internal ArrayView<byte> Constant(int id) => _constants[id].View;

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var s in _steps)
        {
            s.Dispose();
        }

        foreach (var c in _constants.Values)
        {
            c.Dispose();
        }
    }

    private MemoryBuffer1D<byte, Stride1D.Dense> UploadConstant(PlanTensor t)
    {
        var d = t.Dims;
        var hwc = WeightLayout.ChwToHwc<float>(t.Constant!, d.C, d.H, d.W);
        byte[] bytes;
        if (t.Type == DataType.Int8)
        {
            var q = QuantizationReference(hwc, t.Scale);
            bytes = (byte[])(Array)q;
        }
        else
        {
            bytes = new byte[hwc.Length * 4];
            Buffer.BlockCopy(hwc, 0, bytes, 0, bytes.Length);
        }

        return Device.Accelerator.Allocate1D(bytes);
    }

    private static sbyte[] QuantizationReference(float[] x, float scale)
    {
        var q = new sbyte[x.Length];
        for (var i = 0; i < x.Length; i++)
        {
            q[i] = (sbyte)QuantMath.Quantize(x[i], scale);
        }

        return q;
    }
}
