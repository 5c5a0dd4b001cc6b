using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Layers.Runtime;

/// <summary>
/// CUDA graphs: the launch sequence of a batch size is run plainly the first time (kernels load, step scratch is
/// allocated), captured into a graph on the second run and replayed with one driver call from then on. One graph per
/// batch size; the input upload and the output download stay outside (the graph holds the launches from the input
/// conversion to the output conversion). Graphs are dropped when a buffer they address is reallocated (a step's
/// scratch, the device's split-K workspace), when <see cref="CudaGraphs"/> is turned off and on dispose. Where graphs
/// cannot be used (the CPU backends, <c>ILGPUINT8_CUDA_GRAPHS=0</c>, a capture the driver refused) the reason is kept
/// in <see cref="CudaGraphRefusal"/> and every run launches plainly, with identical results.
/// </summary>
public sealed partial class ExecutionContext
{
    /// <summary>Environment variable that turns CUDA graphs off for every context: <c>0</c>, <c>false</c> or <c>off</c>.</summary>
    public const string CudaGraphsEnvironmentVariable = "ILGPUINT8_CUDA_GRAPHS";

    private readonly Dictionary<int, CudaGraph> _graphs = [];
    private readonly HashSet<int> _batchesSeen = [];
    private bool _cudaGraphs = true;
    private bool _graphsChecked;
    private long _graphEpoch;

    /// <summary>
    /// Replays runs as CUDA graphs where the backend allows (default on). Turning it off drops the captured graphs; runs
    /// then launch plainly.
    /// </summary>
    public bool CudaGraphs
    {
        get => _cudaGraphs;
        set
        {
            _cudaGraphs = value;
            if (!value)
            {
                DropGraphs();
            }
        }
    }

    /// <summary>Graphs captured so far (one per batch size, again after each drop).</summary>
    public int CudaGraphCaptures { get; private set; }

    /// <summary>Runs served by replaying a captured graph (the capturing run itself is not counted).</summary>
    public int CudaGraphReplays { get; private set; }

    /// <summary>Why this context launches plainly although <see cref="CudaGraphs"/> is on, or null.</summary>
    public string? CudaGraphRefusal { get; private set; }

    /// <summary>Whether an environment value of <see cref="CudaGraphsEnvironmentVariable"/> allows graphs (unset allows).</summary>
    internal static bool GraphsAllowedBy(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "1" or "true" or "on" => true,
        "0" or "false" or "off" => false,
        _ => throw new ArgumentException($"{CudaGraphsEnvironmentVariable}='{value}' is not one of 0, 1, false, true, off, on."),
    };

    /// <summary>
    /// Runs a batch from a graph when one applies: replays the batch size's graph, or captures it on the batch size's
    /// second run and launches it. False when the caller must queue the steps plainly (graphs off or refused, a first
    /// run of the batch size).
    /// </summary>
    private bool TryRunGraph(int batchSize)
    {
        if (!_cudaGraphs || CudaGraphRefusal is not null)
        {
            return false;
        }

        if (!_graphsChecked)
        {
            _graphsChecked = true;
            CudaGraphRefusal = Engine.HostIsa is not null ? "The CPU backend runs its steps on the host: there are no CUDA launches to capture."
                : !Engine.Device.IsCuda ? "The ILGPU CPU accelerator has no CUDA graphs."
                : !GraphsAllowedBy(Environment.GetEnvironmentVariable(CudaGraphsEnvironmentVariable)) ? $"{CudaGraphsEnvironmentVariable} turns CUDA graphs off."
                : null;
            if (CudaGraphRefusal is not null)
            {
                return false;
            }
        }

        if (_batchesSeen.Add(batchSize))
        {
            return false;
        }

        var device = Engine.Device;
        using var exclusive = device.LaunchGate.Exclusive();

        // Under the exclusive side no other launch sequence can reallocate the device's shared buffers until the
        // graph is queued.
        if (device.BufferEpoch != _graphEpoch)
        {
            DropGraphs();
            _graphEpoch = device.BufferEpoch;
        }

        if (_graphs.TryGetValue(batchSize, out var graph))
        {
            graph.Launch();
            CudaGraphReplays++;
            return true;
        }

        graph = Capture(device, batchSize, out var refusal);
        if (graph is null)
        {
            CudaGraphRefusal = refusal;
            return false;
        }

        if (device.BufferEpoch != _graphEpoch)
        {
            // A shared buffer moved while capturing: the graph may address the old one. Run plainly, capture next time.
            graph.Dispose();
            return false;
        }

        _graphs[batchSize] = graph;
        CudaGraphCaptures++;
        graph.Launch();
        return true;
    }

    /// <summary>
    /// Captures the launches of one run. A method of its own: a lambda over <paramref name="batchSize"/> inside
    /// <see cref="TryRunGraph"/> would allocate its closure at that method's entry, on every run (ZeroAllocationTests).
    /// </summary>
    private CudaGraph? Capture(Int8Device device, int batchSize, out string? refusal) =>
        CudaGraph.TryCapture(device, () => QueueSteps(batchSize), out refusal);

    /// <summary>Destroys every captured graph (the next run of a batch size seen before captures again).</summary>
    private void DropGraphs()
    {
        foreach (var graph in _graphs.Values)
        {
            graph.Dispose();
        }

        _graphs.Clear();
    }
}
