using System.Collections.Concurrent;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace ILGPUInt8.Kernels.Runtime;

/// <summary>
/// One ILGPU context and accelerator, with a cache of loaded kernels.
/// <see cref="Create(DeviceSpec)"/> makes a new one for a device (<c>cpu</c>, <c>cuda:N</c>; a CPU accelerator as often as
/// asked), <see cref="Shared(DeviceSpec)"/> keeps one per device per process; kernels are loaded once per instance. Nothing
/// assumes one context per process: each instance owns its context, and several run side by side (one thread each).
/// </summary>
public sealed class Int8Device : IDisposable
{
    /// <summary>Environment variable that overrides <see cref="DeviceKind.Auto"/>: <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    public const string DeviceEnvironmentVariable = "ILGPUINT8_DEVICE";

    private static readonly ConcurrentDictionary<DeviceSpec, Lazy<Int8Device>> SharedDevices = new();
    private readonly ConcurrentDictionary<string, object> _kernels = new();
    private bool _disposed;
    private long _bufferEpoch;

    private Int8Device(Context context, Accelerator accelerator, DeviceSpec spec)
    {
        Context = context;
        Accelerator = accelerator;
        Spec = spec;
        var kind = spec.Kind;
        Kind = kind;
        LaunchGate = new LaunchGate(enabled: kind == DeviceKind.Cuda);
    }

    /// <summary>The ILGPU context that owns <see cref="Accelerator"/>.</summary>
    public Context Context { get; }

    /// <summary>The accelerator kernels run on.</summary>
    public Accelerator Accelerator { get; }

    /// <summary><see cref="DeviceKind.Cpu"/> or <see cref="DeviceKind.Cuda"/> (never Auto).</summary>
    public DeviceKind Kind { get; }

    /// <summary>The device as a user names it (<c>cpu</c>, <c>cuda:N</c>).</summary>
    public DeviceSpec Spec { get; }

    /// <summary>The spec name and the accelerator's name, e.g. <c>cuda:1 (NVIDIA H200)</c>: how errors and reports name the device.</summary>
    public string DisplayName => $"{Spec.Name} ({Accelerator.Name})";

    /// <summary>Orders launch sequences against CUDA graph captures (<see cref="CudaGraph"/>).</summary>
    public LaunchGate LaunchGate { get; }

    /// <summary>
    /// Changes whenever a device-wide buffer that launches write into (the split-K workspace) is reallocated: a captured
    /// CUDA graph holds its address and must be captured again.
    /// </summary>
    public long BufferEpoch => Interlocked.Read(ref _bufferEpoch);

    /// <summary>True on a CUDA accelerator.</summary>
    public bool IsCuda => Kind == DeviceKind.Cuda;

    /// <summary>Compute capability as "major.minor" on CUDA, else null.</summary>
    public string? ComputeCapability => Accelerator is CudaAccelerator cuda ? $"{cuda.Architecture.Major}.{cuda.Architecture.Minor}" : null;

    /// <summary>PTX ISA ILGPU writes for this device, else null.</summary>
    public string? PtxIsa => Accelerator is CudaAccelerator cuda ? $"{cuda.InstructionSet.Major}.{cuda.InstructionSet.Minor}" : null;

    /// <summary>True when a CUDA device can be used in this process (a context is probed once).</summary>
    public static bool CudaAvailable => CudaDeviceCount > 0;

    /// <summary>How many CUDA devices this process sees (0 without a driver; a context is probed once).</summary>
    public static int CudaDeviceCount => CudaProbe.Value;

    private static readonly Lazy<int> CudaProbe = new(() =>
    {
        try
        {
            using var context = Context.Create(b => b.Cuda());
            return context.GetCudaDevices().Count;
        }
        catch (Exception ex) when (ex is DllNotFoundException or TypeInitializationException or InvalidOperationException or CudaException or EntryPointNotFoundException)
        {
            return 0;
        }
    });

    /// <summary>
    /// The CUDA device number <c>ILGPUINT8_DEVICE</c> names (<c>cuda:N</c>; 0 for <c>cuda</c>, <c>auto</c> or unset), or
    /// -1 when the value is not a device this library knows. It is what <see cref="DeviceKind.Cuda"/> means in the
    /// single-device API; <see cref="Create(DeviceSpec)"/> and <see cref="Shared(DeviceSpec)"/> take any device.
    /// </summary>
    public static int CudaOrdinal => ParseCudaOrdinal(Environment.GetEnvironmentVariable(DeviceEnvironmentVariable));

    /// <summary>N of <c>cuda:N</c>, 0 of <c>cuda</c>/<c>gpu</c>/<c>auto</c>/<c>cpu</c>/empty, else -1.</summary>
    public static int ParseCudaOrdinal(string? value)
    {
        var v = value?.Trim().ToLowerInvariant();
        if (v is null or "" or "auto")
        {
            return 0;
        }

        return DeviceSpec.TryParse(v, out var spec) ? spec.Ordinal : -1;
    }

    /// <summary>
    /// The process-wide device of a kind (created on first use, kept until exit).
    /// <see cref="DeviceKind.Auto"/> reads <c>ILGPUINT8_DEVICE</c> (cpu|cuda), then prefers CUDA.
    /// </summary>
#pragma warning disable RS0027 // the kind overloads keep their optional parameter (the old API); the spec overloads take one argument
    public static Int8Device Shared(DeviceKind kind = DeviceKind.Auto) => Shared(DeviceSpec.Of(kind));
#pragma warning restore RS0027

    /// <summary>The process-wide device for <paramref name="spec"/> (created on first use, kept until exit): one per device.</summary>
    public static Int8Device Shared(DeviceSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return SharedDevices.GetOrAdd(spec, s => new Lazy<Int8Device>(() => Create(s))).Value;
    }

    /// <summary>True when the default backend (<see cref="DeviceKind.Auto"/>) is CUDA: what the engine builder and loader pick by default.</summary>
    public static bool CudaPreferred => Resolve(DeviceKind.Auto) == DeviceKind.Cuda;

    /// <summary>Resolves <see cref="DeviceKind.Auto"/> to the kind that <see cref="Shared(DeviceKind)"/> would use.</summary>
    public static DeviceKind Resolve(DeviceKind kind)
    {
        if (kind != DeviceKind.Auto)
        {
            return kind;
        }

        var env = Environment.GetEnvironmentVariable(DeviceEnvironmentVariable)?.Trim().ToLowerInvariant();
        return env switch
        {
            null or "" or "auto" => CudaAvailable ? DeviceKind.Cuda : DeviceKind.Cpu,
            _ when DeviceSpec.TryParse(env, out var spec) => spec.Kind,
            _ => throw new ArgumentException($"{DeviceEnvironmentVariable}='{env}' is not one of cpu, cuda, cuda:N, auto."),
        };
    }

    /// <summary>Creates a new device of the given kind; the caller disposes it.</summary>
#pragma warning disable RS0027 // see Shared
    public static Int8Device Create(DeviceKind kind = DeviceKind.Auto)
#pragma warning restore RS0027
    {
        if (Resolve(kind) == DeviceKind.Cuda && !CudaAvailable)
        {
            throw new InvalidOperationException("No CUDA device was found (set ILGPUINT8_DEVICE=cpu to use the CPU accelerator).");
        }

        return Create(DeviceSpec.Of(kind));
    }

    /// <summary>
    /// Creates a new device for <paramref name="spec"/> with its own context; the caller disposes it. Every call makes a
    /// new one (several CPU accelerators side by side are fine). A CUDA device the machine lacks is refused with the count.
    /// </summary>
    public static Int8Device Create(DeviceSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Kind == DeviceKind.Cuda)
        {
            // cuda:N picks the N-th device (in CUDA_VISIBLE_DEVICES order); one beyond the last is refused with the count.
            spec.Check();
            var context = Context.Create(b => Configure(b.Cuda().Optimize(OptimizationLevel.O2).Profiling()));
            return new Int8Device(context, context.CreateCudaAccelerator(spec.Ordinal), spec);
        }

        // Warp size 32 and up to 1024 threads a group, like a CUDA device, so warp-level code means the same.
        var cpuContext = Context.Create(b => Configure(b.CPU(CPUDevice.Nvidia).Optimize(OptimizationLevel.O1).Profiling()));
        return new Int8Device(cpuContext, cpuContext.CreateCPUAccelerator(0, CPUAcceleratorMode.Parallel), DeviceSpec.Cpu);
    }

    /// <summary>
    /// What every context of the project enables besides its accelerator: ILGPU.Algorithms, whose XMath functions
    /// (exp, tanh) have no PTX intrinsic without it.
    /// </summary>
    public static Context.Builder Configure(Context.Builder builder) => builder.EnableAlgorithms();

    /// <summary>
    /// A kernel launcher loaded once per device and name. Keeps the delegate alive (ILGPU's own cache holds weak references).
    /// </summary>
    public TDelegate GetKernel<TDelegate>(string name, Func<Accelerator, TDelegate> load)
        where TDelegate : Delegate
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return (TDelegate)_kernels.GetOrAdd(name + "|" + typeof(TDelegate).FullName, _ => load(Accelerator));
    }

    /// <summary>Records that a device-wide buffer was reallocated (see <see cref="BufferEpoch"/>).</summary>
    public void NoteBufferReallocated() => Interlocked.Increment(ref _bufferEpoch);

    /// <summary>Waits for all work on the device.</summary>
    public void Synchronize() => Accelerator.Synchronize();

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _kernels.Clear();
        Accelerator.Dispose();
        Context.Dispose();
        LaunchGate.Dispose();
    }
}
