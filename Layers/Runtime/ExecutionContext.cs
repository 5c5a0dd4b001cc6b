using System.Diagnostics;
using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Runtime;

/// <summary>
/// Runs an <see cref="Engine"/> on its own activation arena and input/output buffers. One thread at a time per context;
/// create one context per thread to run an engine concurrently. Inputs and outputs are NCHW float, any batch size from
/// 1 to the engine's maximum.
/// </summary>
public sealed partial class ExecutionContext : IDisposable
{
    private readonly MemoryBuffer1D<byte, Stride1D.Dense> _arena;
    private readonly MemoryBuffer1D<float, Stride1D.Dense>[] _inputs;
    private readonly MemoryBuffer1D<float, Stride1D.Dense>[] _outputs;
    private readonly Dictionary<Step, MemoryBuffer1D<byte, Stride1D.Dense>> _scratch = [];
    private readonly IntPtr _hostArena;
    private bool _disposed;

    internal ExecutionContext(Engine engine)
    {
        Engine = engine;
        var plan = engine.Plan;
        var accelerator = engine.Device.Accelerator;
        accelerator.Bind();
        var bytes = EngineResources.Required(plan, engine.HostIsa is not null).Context;
        var buffers = new List<MemoryBuffer1D<float, Stride1D.Dense>>();
        MemoryBuffer1D<byte, Stride1D.Dense>? arena = null;
        try
        {
            arena = EngineResources.Allocating("a context's activations", bytes, () => accelerator.Allocate1D<byte>(Math.Max(plan.ArenaBytes, 16)));
            foreach (var id in plan.Inputs.Concat(plan.Outputs))
            {
                buffers.Add(EngineResources.Allocating("a context's inputs and outputs", bytes, () => accelerator.Allocate1D<float>(checked(plan.Tensors[id].Dims.Volume * plan.MaxBatchSize))));
            }
        }
        catch
        {
            arena?.Dispose();
            buffers.ForEach(b => b.Dispose());
            throw;
        }

        _arena = arena;
        _inputs = [.. buffers.Take(plan.Inputs.Count)];
        _outputs = [.. buffers.Skip(plan.Inputs.Count)];

        // The CPU backend's memory is host memory that never moves: its addresses once, not an ILGPU view per access.
        if (engine.HostIsa is not null)
        {
            _hostArena = _arena.NativePtr;
        }
    }

    /// <summary>The engine.</summary>
    public Engine Engine { get; }

    /// <summary>
    /// True while every tensor must be written by its own step (<see cref="TensorCapture"/>): steps that run a later
    /// step's work (a convolution with its max pool) run unfused.
    /// </summary>
    internal bool Unfused { get; set; }

    /// <summary>Runs a batch: inputs by name (NCHW float, batch·C·H·W values each); returns the outputs by name.</summary>
    public IReadOnlyDictionary<string, float[]> Execute(IReadOnlyDictionary<string, float[]> inputs, int batchSize)
    {
        SetInputs(inputs, batchSize);
        Enqueue(batchSize);
        return ReadOutputs(batchSize);
    }

    /// <summary>Runs a batch of a single-input, single-output engine.</summary>
    public float[] Execute(float[] input, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (Engine.Inputs.Count != 1 || Engine.Outputs.Count != 1)
        {
            throw new InvalidOperationException($"The engine has {Engine.Inputs.Count} inputs and {Engine.Outputs.Count} outputs; use the dictionary overload.");
        }

        var output = new float[checked(Engine.Outputs[0].Dims.Volume * batchSize)];
        Execute(input, output, batchSize);
        return output;
    }

    /// <summary>Copies inputs to the device (validated first: names, lengths, batch size).</summary>
    public void SetInputs(IReadOnlyDictionary<string, float[]> inputs, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        CheckBatch(batchSize);
        Bind();
        UseImageInput(false);
        var plan = Engine.Plan;
        for (var i = 0; i < plan.Inputs.Count; i++)
        {
            var t = plan.Tensors[plan.Inputs[i]];
            if (!inputs.TryGetValue(t.Name, out var data))
            {
                throw new ArgumentException($"Input '{t.Name}' is missing (inputs: {string.Join(", ", Engine.Inputs.Select(b => b.Name))}).", nameof(inputs));
            }

            var need = t.Dims.Volume * batchSize;
            if (data.LongLength != need)
            {
                throw new ArgumentException($"Input '{t.Name}' has {data.LongLength} values; batch {batchSize} of {t.Dims} needs {need}.", nameof(inputs));
            }

            CopyIn(i, data);
        }

        // Every name given must be an input (a count check first: the common case of exactly the engine's inputs).
        if (inputs.Count != plan.Inputs.Count)
        {
            foreach (var name in inputs.Keys)
            {
                if (!IsInputName(name))
                {
                    throw new ArgumentException($"'{name}' is not an input of the engine.", nameof(inputs));
                }
            }
        }
    }

    // Input i's staging buffer ← data (a plain host copy on the CPU backend).
    private void CopyIn(int i, float[] data)
    {
        if (Engine.HostIsa is not null)
        {
            unsafe
            {
                data.AsSpan().CopyTo(new Span<float>((void*)_inputs[i].NativePtr, data.Length));
            }

            return;
        }

        using (Engine.Device.LaunchGate.Launching())
        {
            _inputs[i].View.SubView(0, data.Length).CopyFromCPU(data);
        }
    }

    private bool IsInputName(string name)
    {
        foreach (var b in Engine.Inputs)
        {
            if (b.Name == name)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Queues every step for a batch on the device (asynchronous; inputs set before).</summary>
    public void Enqueue(int batchSize) => RunAll(batchSize);

    /// <summary>Waits for the device and copies the outputs of the last run to the host.</summary>
    public IReadOnlyDictionary<string, float[]> ReadOutputs(int batchSize)
    {
        CheckBatch(batchSize);
        Bind();
        bool host = Engine.HostIsa is not null;
        if (!host)
        {
            Engine.Device.Synchronize();
        }

        var plan = Engine.Plan;
        var result = new Dictionary<string, float[]>(plan.Outputs.Count, StringComparer.Ordinal);
        for (var i = 0; i < plan.Outputs.Count; i++)
        {
            var t = plan.Tensors[plan.Outputs[i]];
            var values = new float[t.Dims.Volume * batchSize];
            if (host)
            {
                // The CPU backend ran synchronously into host memory: a plain copy.
                unsafe
                {
                    new ReadOnlySpan<float>((void*)_outputs[i].NativePtr, values.Length).CopyTo(values);
                }
            }
            else
            {
                using (Engine.Device.LaunchGate.Launching())
                {
                    _outputs[i].View.SubView(0, values.Length).CopyToCPU(values);
                }
            }

            result[t.Name] = values;
        }

        return result;
    }

    /// <summary>
    /// Runs a batch and times every step on the device (profiling markers on CUDA, a synchronised stopwatch elsewhere).
    /// The first entries are the input conversions, the last the output conversions.
    /// </summary>
    public EngineProfile Profile(IReadOnlyDictionary<string, float[]> inputs, int batchSize)
    {
        SetInputs(inputs, batchSize);
        return ProfileSetInputs(batchSize);
    }

    /// <summary>Profiles a run on the inputs set before.</summary>
    private EngineProfile ProfileSetInputs(int batchSize)
    {
        var device = Engine.Device;
        device.Synchronize();
        var entries = new List<LayerTiming>();
        if (device.IsCuda)
        {
            using var launching = device.LaunchGate.Launching();
            var stream = device.Accelerator.DefaultStream;
            var markers = new List<(string Name, LayerType? Type, bool Int8, int Launches, ProfilingMarker Marker)>();
            var start = stream.AddProfilingMarker();
            Run(batchSize, null, (name, type, int8, launches) => markers.Add((name, type, int8, launches, stream.AddProfilingMarker())));
            device.Synchronize();
            var previous = start;
            foreach (var (name, type, int8, launches, marker) in markers)
            {
                entries.Add(new LayerTiming(name, type, int8, launches, marker.MeasureFrom(previous).TotalMilliseconds));
                previous = marker;
            }

            foreach (var m in markers)
            {
                m.Marker.Dispose();
            }

            start.Dispose();
        }
        else
        {
            var watch = Stopwatch.StartNew();
            Run(batchSize, null, (name, type, int8, launches) =>
            {
                device.Synchronize();
                entries.Add(new LayerTiming(name, type, int8, launches, watch.Elapsed.TotalMilliseconds));
                watch.Restart();
            });
        }

        // Each step's fusions as Describe shows them ("+Add +Relu"; empty for the boundary conversions).
        var steps = Engine.Layers.GroupBy(l => l.Name).ToDictionary(g => g.Key, g => g.First());
        return new EngineProfile(batchSize, [.. entries.Select(e => e with
        {
            Fusions = steps.GetValueOrDefault(e.Name)?.Fusions ?? string.Empty,
            Precision = steps.GetValueOrDefault(e.Name)?.Precision ?? (e.Int8 ? "INT8" : "FP32"),
        })]);
    }

    /// <summary>Runs a batch showing every float tensor to <paramref name="observer"/> (calibration).</summary>
    internal void Run(int batchSize, ITensorObserver? observer, Action<string, LayerType?, bool, int>? after)
    {
        foreach (var (tensor, name, type, int8, launches) in RunLazily(batchSize, materializeInputs: observer is not null))
        {
            if (observer is not null && tensor is { Type: DataType.Float })
            {
                observer.Observe(tensor.Name, View<float>(tensor, batchSize), tensor.Dims.WithBatch(batchSize));
            }

            after?.Invoke(name, type, int8, launches);
        }
    }

    /// <summary>
    /// Runs a batch one step per iteration: each item is queued when yielded (the tensor it wrote, or null for an output
    /// conversion), so a caller can look at a tensor before later steps may reuse its bytes.
    /// </summary>
    /// <remarks>
    /// An input whose convert a step fused (<see cref="Step.FusedInput"/>) is still converted into its tensor when
    /// <paramref name="materializeInputs"/> is set (a caller that reads the tensors), else skipped (0 launches).
    /// </remarks>
    internal IEnumerable<(PlanTensor? Tensor, string Name, LayerType? Type, bool Int8, int Launches)> RunLazily(int batchSize, bool materializeInputs = true)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckBatch(batchSize);
        Bind();
        return Iterate(batchSize, materializeInputs);
    }

    private IEnumerable<(PlanTensor? Tensor, string Name, LayerType? Type, bool Int8, int Launches)> Iterate(int batchSize, bool materializeInputs)
    {
        var plan = Engine.Plan;
        var gate = Engine.Device.LaunchGate;
        for (var i = 0; i < plan.Inputs.Count; i++)
        {
            var t = plan.Tensors[plan.Inputs[i]];
            bool convert = materializeInputs || !IsFused(i);
            using (gate.Launching())
            {
                if (convert)
                {
                    ConvertInput(i, batchSize);
                }
            }

            yield return (t, "input:" + t.Name, null, t.Type == DataType.Int8, convert ? 1 : 0);
        }

        foreach (var step in Engine.Steps)
        {
            using (gate.Launching())
            {
                step.Run(this, batchSize);
            }

            yield return (step.Output, step.Node.Name, step.Node.Layer.Type, step.Node.Int8, step.Launches);
        }

        for (var i = 0; i < plan.Outputs.Count; i++)
        {
            PlanTensor t;
            using (gate.Launching())
            {
                t = ConvertOutput(i, batchSize);
            }

            yield return (null, "output:" + t.Name, null, t.Type == DataType.Int8, 1);
        }
    }

    /// <summary>
    /// Queues a run with no per-call allocation (the path of <see cref="Enqueue"/> and the span overloads): a CUDA graph
    /// replay where one applies (ExecutionContext.Graphs.cs), else every launch.
    /// </summary>
    private void RunAll(int batchSize)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckBatch(batchSize);
        Bind();
        if (TryRunGraph(batchSize))
        {
            return;
        }

        using var launching = Engine.Device.LaunchGate.Launching();
        QueueSteps(batchSize);
    }

    /// <summary>Queues the input conversions, every step and the output conversions (what a CUDA graph holds).</summary>
    private void QueueSteps(int batchSize)
    {
        var plan = Engine.Plan;
        for (var i = 0; i < plan.Inputs.Count; i++)
        {
            if (!IsFused(i))
            {
                ConvertInput(i, batchSize);
            }
        }

        var steps = Engine.Steps;
        for (var s = 0; s < steps.Count; s++)
        {
            steps[s].Run(this, batchSize);
        }

        for (var i = 0; i < plan.Outputs.Count; i++)
        {
            ConvertOutput(i, batchSize);
        }
    }

    /// <summary>Converts input <paramref name="i"/> from its NCHW float staging buffer into the engine's tensor (float, halves or int8).</summary>
    private PlanTensor ConvertInput(int i, int batchSize)
    {
        var plan = Engine.Plan;
        var t = plan.Tensors[plan.Inputs[i]];
        var shape = t.Dims.WithBatch(batchSize);
        if (Engine.HostIsa is not null)
        {
            unsafe
            {
                HostConvert.FromNchw((float*)_inputs[i].NativePtr, this, t, shape);
            }

            return t;
        }

        var staging = _inputs[i].View.SubView(0, shape.Elements);
        if (t.Type == DataType.Int8)
        {
            Kernels.Ops.Convert.Quantize(Engine.Device, staging, TensorFormat.NCHW, View<sbyte>(t, batchSize), TensorFormat.NHWC, shape, t.Scale);
        }
        else if (t.Type == DataType.Half)
        {
            Kernels.Ops.Convert.ToHalf(Engine.Device, staging, TensorFormat.NCHW, View<ushort>(t, batchSize), TensorFormat.NHWC, shape);
        }
        else
        {
            Kernels.Ops.Convert.Float(Engine.Device, staging, TensorFormat.NCHW, View<float>(t, batchSize), TensorFormat.NHWC, shape);
        }

        return t;
    }

    /// <summary>Converts output <paramref name="i"/> into its NCHW float staging buffer.</summary>
    private PlanTensor ConvertOutput(int i, int batchSize)
    {
        var plan = Engine.Plan;
        var t = plan.Tensors[plan.Outputs[i]];
        var shape = t.Dims.WithBatch(batchSize);
        if (Engine.HostIsa is not null)
        {
            unsafe
            {
                HostConvert.ToNchw(this, t, shape, (float*)_outputs[i].NativePtr);
            }

            return t;
        }

        var staging = _outputs[i].View.SubView(0, shape.Elements);
        if (t.Type == DataType.Int8)
        {
            Kernels.Ops.Convert.Dequantize(Engine.Device, View<sbyte>(t, batchSize), TensorFormat.NHWC, staging, TensorFormat.NCHW, shape, t.Scale);
        }
        else
        {
            Kernels.Ops.Convert.Float(Engine.Device, View<float>(t, batchSize), TensorFormat.NHWC, staging, TensorFormat.NCHW, shape);
        }

        return t;
    }

    /// <summary>The device data of a tensor for a batch: its arena bytes (or the engine's constant, one item).</summary>
    internal ArrayView<T> View<T>(PlanTensor t, int batch)
        where T : unmanaged
    {
        if (t.Constant is not null)
        {
            return Engine.Constant(t.Id).SubView(0, t.ItemBytes).Cast<T>();
        }

        if (RedirectOf(t) is { Length: > 0 } redirected)
        {
            return redirected.Cast<T>();
        }

        return _arena.View.AsContiguous().SubView(t.Offset, t.ItemBytes * batch).Cast<T>();
    }

    /// <summary>The host address of a tensor's data (the CPU backend; its memory is the CPU accelerator's, on the host).</summary>
    internal unsafe T* Pointer<T>(PlanTensor t, int batch)
        where T : unmanaged => _hostArena != IntPtr.Zero && t.Constant is null && _redirected == 0 ? (T*)((byte*)_hostArena + t.Offset) : Pointer(View<T>(t, batch));

    /// <summary>The host address of a view of host (CPU accelerator) memory.</summary>
    internal static unsafe T* Pointer<T>(ArrayView<T> view)
        where T : unmanaged => (T*)ArrayViewExtensions.LoadEffectiveAddressAsPtr(view);

    /// <summary>
    /// A step's private work buffer in this context (allocated on first use, kept until the context is disposed; for
    /// data that lives only inside one step, such as channel-padded copies). <paramref name="zeroed"/>: set to zero when
    /// allocated (for state the step itself returns to zero after each use, such as the counters of a last-block reduction).
    /// </summary>
    internal ArrayView<T> Scratch<T>(Step step, long length, bool zeroed = false)
        where T : unmanaged
    {
        var bytes = length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        if (!_scratch.TryGetValue(step, out var buffer) || buffer.Length < bytes)
        {
            buffer = _scratch[step] = GrowScratch($"the scratch buffer of step '{step.Node.Name}'", buffer, bytes);
            if (zeroed)
            {
                buffer.MemSetToZero();
            }
        }

        return buffer.View.AsContiguous().SubView(0, bytes).Cast<T>();
    }

    /// <summary>
    /// Replaces a scratch buffer (<paramref name="what"/>, for the error message) by one of at least
    /// <paramref name="bytes"/> bytes (rounded up to 16). A method of its own so that the allocation lambda's closure is
    /// created only here, not on every <see cref="Scratch{T}"/> call.
    /// </summary>
    private MemoryBuffer1D<byte, Stride1D.Dense> GrowScratch(string what, MemoryBuffer1D<byte, Stride1D.Dense>? old, long bytes)
    {
        // Captured graphs address the old buffer.
        DropGraphs();
        old?.Dispose();
        var accelerator = Engine.Device.Accelerator;
        return EngineResources.Allocating(what, bytes, () => accelerator.Allocate1D<byte>((bytes + 15) / 16 * 16));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        DropGraphs();
        _arena.Dispose();
        foreach (var b in _inputs.Concat(_outputs))
        {
            b.Dispose();
        }

        foreach (var b in _scratch.Values)
        {
            b.Dispose();
        }

        _widening?.Dispose();

        _imageBytes?.Dispose();
        _imageTable?.Dispose();
    }

    // Makes the device's context current on the calling thread (CUDA contexts are per thread; contexts of one engine
    // run from several threads).
    private void Bind() => Engine.Device.Accelerator.Bind();

    private void CheckBatch(int batchSize)
    {
        if (batchSize < 1 || batchSize > Engine.MaxBatchSize)
        {
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"The batch size must be in [1, {Engine.MaxBatchSize}] (the engine's maximum).");
        }
    }
}

/// <summary>The time of one step of a profiled run.</summary>
/// <param name="Name">Step name (input:/output: for the boundary conversions).</param>
/// <param name="Type">Layer type (null for a boundary conversion).</param>
/// <param name="Int8">INT8 step.</param>
/// <param name="Launches">Kernel launches it made.</param>
/// <param name="Milliseconds">Device time.</param>
public sealed record LayerTiming(string Name, LayerType? Type, bool Int8, int Launches, double Milliseconds)
{
    /// <summary>What is fused into the step, as <see cref="EngineLayerInfo.Fusions"/> (e.g. "+Add +Relu"; empty for none).</summary>
    public string Fusions { get; init; } = string.Empty;

    /// <summary>The step's precision as <see cref="EngineLayerInfo.Precision"/> ("INT8", "FP16", "TF32", "FP32").</summary>
    public string Precision { get; init; } = "FP32";
}

/// <summary>Per-step times of one profiled run.</summary>
/// <param name="BatchSize">Batch.</param>
/// <param name="Layers">Steps in order.</param>
public sealed record EngineProfile(int BatchSize, IReadOnlyList<LayerTiming> Layers)
{
    /// <summary>Sum of the step times.</summary>
    public double TotalMilliseconds => Layers.Sum(l => l.Milliseconds);

    /// <summary>Kernel launches of one run.</summary>
    public int Launches => Layers.Sum(l => l.Launches);
}
