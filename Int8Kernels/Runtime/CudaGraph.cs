using System.Reflection;
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
}
