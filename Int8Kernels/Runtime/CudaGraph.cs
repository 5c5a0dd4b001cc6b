using System.Reflection;
using System.Runtime.InteropServices;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace ILGPUInt8.Kernels.Runtime;

/// <summary>
/// A captured, instantiated CUDA graph: a fixed sequence of kernel launches and device copies replayed with one
/// <c>cuGraphLaunch</c> instead of one driver call per launch. <see cref="TryCapture"/> records what a callback queues;
/// the driver API is reached through <c>libcuda.so.1</c>'s exports (ILGPU 1.5.3 has no graph API).
/// </summary>
/// <remarks>
/// ILGPU launches on <see cref="Accelerator.DefaultStream"/>, the legacy stream, which cannot be captured. A capture
/// therefore creates a non-blocking stream, points the default stream at it for the callback (every ILGPU launcher
/// reads the default stream at call time), and restores it afterwards, all under the exclusive side of
/// <see cref="Int8Device.LaunchGate"/> so that no other thread's launch lands in the graph. Replays run on the default
/// stream again, so they are ordered with the copies and launches around them exactly as plain launches are. The
/// callback must not allocate device memory or synchronize (capture it on a run whose buffers already exist).
/// </remarks>
public sealed unsafe class CudaGraph : IDisposable
{
    private const int CaptureModeRelaxed = 2;
    private static readonly Lazy<Func<Accelerator, AcceleratorStream, AcceleratorStream>?> StreamSetter = new(CreateStreamSetter);
    private readonly Accelerator _accelerator;
    private IntPtr _graph;
    private IntPtr _exec;

    private CudaGraph(Accelerator accelerator, IntPtr graph, IntPtr exec, int nodes)
    {
        _accelerator = accelerator;
        _graph = graph;
        _exec = exec;
        Nodes = nodes;
    }

    /// <summary>Nodes of the captured graph (kernel launches, memsets, copies).</summary>
    public int Nodes { get; }

    /// <summary>
    /// Captures what <paramref name="queue"/> launches on <paramref name="device"/> into a graph, or returns null with
    /// the reason in <paramref name="refusal"/> (not CUDA, no driver entry point, the driver refused the capture, an
    /// empty capture). A refused capture queued nothing that runs: the caller runs the work plainly.
    /// </summary>
    public static CudaGraph? TryCapture(Int8Device device, Action queue, out string? refusal)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(queue);
        if (device.Accelerator is not CudaAccelerator cuda)
        {
            refusal = $"CUDA graphs need a CUDA accelerator; this is {device.Kind}.";
            return null;
        }

        var api = CudaDriver.Instance;
        if (api.Missing is not null)
        {
            refusal = api.Missing;
            return null;
        }

        var setter = StreamSetter.Value;
        if (setter is null)
        {
            refusal = "ILGPU's Accelerator.DefaultStream has no setter to redirect (ILGPU version?).";
            return null;
        }

        using (device.LaunchGate.Exclusive())
        {
            cuda.Bind();
            using var stream = cuda.CreateStream(StreamFlags.CU_STREAM_NON_BLOCKING);
            var status = api.BeginCapture(stream.StreamPtr, CaptureModeRelaxed);
            if (status != 0)
            {
                refusal = api.Failure("cuStreamBeginCapture_v2", status);
                return null;
            }

            IntPtr graph = 0;
            CudaException? launchFailure = null;
            var queued = false;
            var original = setter(cuda, stream);
            try
            {
                queue();
                queued = true;
            }
            catch (CudaException ex)
            {
                // A launch the capture refused (CUDA_ERROR_STREAM_CAPTURE_*): nothing ran, the caller runs it plainly.
                launchFailure = ex;
                queued = true;
            }
            finally
            {
                setter(cuda, original);
                status = api.EndCapture(stream.StreamPtr, &graph);
                if (!queued)
                {
                    // Any other exception propagates; the partial graph goes with it.
                    api.DestroyGraph(graph);
                }
            }

            if (launchFailure is not null || status != 0)
            {
                api.DestroyGraph(graph);
                refusal = launchFailure is not null ? $"a launch was refused during capture: {launchFailure.Message}" : api.Failure("cuStreamEndCapture", status);
                return null;
            }

            nuint nodes = 0;
            status = api.GetNodes(graph, null, &nodes);
            if (status != 0 || nodes == 0)
            {
                api.DestroyGraph(graph);
                refusal = status != 0 ? api.Failure("cuGraphGetNodes", status) : "the capture recorded no work (an empty graph).";
                return null;
            }

            IntPtr exec = 0;
            status = api.Instantiate(&exec, graph, 0);
            if (status != 0)
            {
                api.DestroyGraph(graph);
                refusal = api.Failure("cuGraphInstantiateWithFlags", status);
                return null;
            }

            refusal = null;
            return new CudaGraph(cuda, graph, exec, checked((int)nodes));
        }
    }

    /// <summary>
    /// Queues one replay on the accelerator's default stream (asynchronous, like the launches it holds). Call it under
    /// <see cref="LaunchGate.Exclusive"/> when other threads launch on the device.
    /// </summary>
    public void Launch()
    {
        ObjectDisposedException.ThrowIf(_exec == 0, this);
        var stream = _accelerator.DefaultStream is CudaStream s ? s.StreamPtr : 0;
        var status = CudaDriver.Instance.Launch(_exec, stream);
        if (status != 0)
        {
            throw new InvalidOperationException(CudaDriver.Instance.Failure("cuGraphLaunch", status));
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_exec == 0)
        {
            return;
        }

        // The accelerator's CUDA context frees its graphs itself when it is destroyed first.
        if (!_accelerator.IsDisposed)
        {
            _accelerator.Bind();
            var api = CudaDriver.Instance;
            api.DestroyExec(_exec);
            api.DestroyGraph(_graph);
        }

        _exec = 0;
        _graph = 0;
    }

    /// <summary>
    /// Points <see cref="Accelerator.DefaultStream"/> (public get, protected set) at another stream and returns the
    /// previous one; null when this ILGPU has no such setter.
    /// </summary>
    internal static Func<Accelerator, AcceleratorStream, AcceleratorStream>? CreateStreamSetter()
    {
        var property = typeof(Accelerator).GetProperty(nameof(Accelerator.DefaultStream), BindingFlags.Public | BindingFlags.Instance);
        var set = property?.GetSetMethod(nonPublic: true);
        if (set is null)
        {
            return null;
        }

        var assign = set.CreateDelegate<Action<Accelerator, AcceleratorStream>>();
        return (accelerator, stream) =>
        {
            var previous = accelerator.DefaultStream;
            assign(accelerator, stream);
            return previous;
        };
    }

    /// <summary>The driver entry points of graph capture, resolved once from <c>libcuda</c>.</summary>
    private sealed class CudaDriver
    {
        public static readonly CudaDriver Instance = new();

        private readonly delegate* unmanaged<IntPtr, int, int> _beginCapture;
        private readonly delegate* unmanaged<IntPtr, IntPtr*, int> _endCapture;
        private readonly delegate* unmanaged<IntPtr, IntPtr*, nuint*, int> _getNodes;
        private readonly delegate* unmanaged<IntPtr*, IntPtr, ulong, int> _instantiate;
        private readonly delegate* unmanaged<IntPtr, IntPtr, int> _launch;
        private readonly delegate* unmanaged<IntPtr, int> _execDestroy;
        private readonly delegate* unmanaged<IntPtr, int> _graphDestroy;
        private readonly delegate* unmanaged<int, byte**, int> _errorName;
        private readonly delegate* unmanaged<int, byte**, int> _errorString;

        private CudaDriver()
        {
            if (!NativeLibrary.TryLoad("libcuda.so.1", out var lib) && !NativeLibrary.TryLoad("nvcuda.dll", out lib))
            {
                Missing = "The CUDA driver library (libcuda.so.1) could not be loaded.";
                return;
            }

            _beginCapture = (delegate* unmanaged<IntPtr, int, int>)Export(lib, "cuStreamBeginCapture_v2");
            _endCapture = (delegate* unmanaged<IntPtr, IntPtr*, int>)Export(lib, "cuStreamEndCapture");
            _getNodes = (delegate* unmanaged<IntPtr, IntPtr*, nuint*, int>)Export(lib, "cuGraphGetNodes");
            _instantiate = (delegate* unmanaged<IntPtr*, IntPtr, ulong, int>)Export(lib, "cuGraphInstantiateWithFlags");
            _launch = (delegate* unmanaged<IntPtr, IntPtr, int>)Export(lib, "cuGraphLaunch");
            _execDestroy = (delegate* unmanaged<IntPtr, int>)Export(lib, "cuGraphExecDestroy");
            _graphDestroy = (delegate* unmanaged<IntPtr, int>)Export(lib, "cuGraphDestroy");
            _errorName = (delegate* unmanaged<int, byte**, int>)Export(lib, "cuGetErrorName");
            _errorString = (delegate* unmanaged<int, byte**, int>)Export(lib, "cuGetErrorString");
        }

        /// <summary>Why graphs cannot be used (no driver, an entry point missing), or null.</summary>
        public string? Missing { get; private set; }

        public int BeginCapture(IntPtr stream, int mode) => _beginCapture(stream, mode);

        public int EndCapture(IntPtr stream, IntPtr* graph) => _endCapture(stream, graph);

        public int GetNodes(IntPtr graph, IntPtr* nodes, nuint* count) => _getNodes(graph, nodes, count);

        public int Instantiate(IntPtr* exec, IntPtr graph, ulong flags) => _instantiate(exec, graph, flags);

        public int Launch(IntPtr exec, IntPtr stream) => _launch(exec, stream);

        public void DestroyExec(IntPtr exec)
        {
            if (exec != 0)
            {
                _ = _execDestroy(exec);
            }
        }

        public void DestroyGraph(IntPtr graph)
        {
            if (graph != 0)
            {
                _ = _graphDestroy(graph);
            }
        }

        /// <summary>"cuX failed: CUDA_ERROR_NAME (code): description".</summary>
        public string Failure(string call, int status)
        {
            byte* name = null;
            byte* text = null;
            var known = _errorName is not null && _errorName(status, &name) == 0 && name is not null;
            _ = _errorString is not null && _errorString(status, &text) == 0;
            var description = text is null ? string.Empty : ": " + Marshal.PtrToStringUTF8((IntPtr)text);
            return $"{call} failed: {(known ? Marshal.PtrToStringUTF8((IntPtr)name) : "CUDA error")} ({status}){description}";
        }

        private IntPtr Export(IntPtr lib, string name)
        {
            if (NativeLibrary.TryGetExport(lib, name, out var address))
            {
                return address;
            }

            Missing ??= $"The CUDA driver has no {name} (graphs need driver API 11.4 or later).";
            return 0;
        }
    }
}
