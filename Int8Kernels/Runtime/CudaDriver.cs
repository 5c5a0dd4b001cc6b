using System.Runtime.InteropServices;

namespace ILGPUInt8.Kernels.Runtime;

/// <summary>
/// The CUDA driver entry points ILGPU 1.5.3 does not wrap, resolved once from <c>libcuda</c>'s exports: graph capture
/// (<see cref="CudaGraph"/>), and page-locked host memory, events, stream waits and asynchronous copies
/// (<see cref="PinnedHostBuffer"/>, <see cref="CudaCopyStream"/>). Every call returns the driver's status (0 = success);
/// <see cref="Failure"/> turns a status into a message. The calling thread must have the context current
/// (<c>Accelerator.Bind</c>).
/// </summary>
internal sealed unsafe class CudaDriver
{
    /// <summary>cuMemHostAlloc flag: the memory is page-locked for every context (CU_MEMHOSTALLOC_PORTABLE).</summary>
    public const uint HostAllocPortable = 1;

    /// <summary>cuEventCreate flag: no timing data, the cheapest event for ordering (CU_EVENT_DISABLE_TIMING).</summary>
    public const uint EventDisableTiming = 2;

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
    private readonly delegate* unmanaged<IntPtr*, nuint, uint, int> _hostAlloc;
    private readonly delegate* unmanaged<IntPtr, int> _freeHost;
    private readonly delegate* unmanaged<IntPtr*, uint, int> _eventCreate;
    private readonly delegate* unmanaged<IntPtr, int> _eventDestroy;
    private readonly delegate* unmanaged<IntPtr, IntPtr, int> _eventRecord;
    private readonly delegate* unmanaged<IntPtr, int> _eventSynchronize;
    private readonly delegate* unmanaged<float*, IntPtr, IntPtr, int> _eventElapsed;
    private readonly delegate* unmanaged<IntPtr, IntPtr, uint, int> _streamWaitEvent;
    private readonly delegate* unmanaged<ulong, IntPtr, nuint, IntPtr, int> _copyHtoDAsync;
    private readonly delegate* unmanaged<IntPtr, ulong, nuint, IntPtr, int> _copyDtoHAsync;

    private CudaDriver()
    {
        if (!NativeLibrary.TryLoad("libcuda.so.1", out var lib) && !NativeLibrary.TryLoad("nvcuda.dll", out lib))
        {
            Missing = CopyMissing = "The CUDA driver library (libcuda.so.1) could not be loaded.";
            return;
        }

        string? graphs = null;
        string? copies = null;
        _beginCapture = (delegate* unmanaged<IntPtr, int, int>)Export(lib, "cuStreamBeginCapture_v2", ref graphs);
        _endCapture = (delegate* unmanaged<IntPtr, IntPtr*, int>)Export(lib, "cuStreamEndCapture", ref graphs);
        _getNodes = (delegate* unmanaged<IntPtr, IntPtr*, nuint*, int>)Export(lib, "cuGraphGetNodes", ref graphs);
        _instantiate = (delegate* unmanaged<IntPtr*, IntPtr, ulong, int>)Export(lib, "cuGraphInstantiateWithFlags", ref graphs);
        _launch = (delegate* unmanaged<IntPtr, IntPtr, int>)Export(lib, "cuGraphLaunch", ref graphs);
        _execDestroy = (delegate* unmanaged<IntPtr, int>)Export(lib, "cuGraphExecDestroy", ref graphs);
        _graphDestroy = (delegate* unmanaged<IntPtr, int>)Export(lib, "cuGraphDestroy", ref graphs);
        _errorName = (delegate* unmanaged<int, byte**, int>)Export(lib, "cuGetErrorName", ref graphs);
        _errorString = (delegate* unmanaged<int, byte**, int>)Export(lib, "cuGetErrorString", ref graphs);
        _hostAlloc = (delegate* unmanaged<IntPtr*, nuint, uint, int>)Export(lib, "cuMemHostAlloc", ref copies);
        _freeHost = (delegate* unmanaged<IntPtr, int>)Export(lib, "cuMemFreeHost", ref copies);
        _eventCreate = (delegate* unmanaged<IntPtr*, uint, int>)Export(lib, "cuEventCreate", ref copies);
        _eventDestroy = (delegate* unmanaged<IntPtr, int>)Export(lib, "cuEventDestroy_v2", ref copies);
        _eventRecord = (delegate* unmanaged<IntPtr, IntPtr, int>)Export(lib, "cuEventRecord", ref copies);
        _eventSynchronize = (delegate* unmanaged<IntPtr, int>)Export(lib, "cuEventSynchronize", ref copies);
        _eventElapsed = (delegate* unmanaged<float*, IntPtr, IntPtr, int>)Export(lib, "cuEventElapsedTime", ref copies);
        _streamWaitEvent = (delegate* unmanaged<IntPtr, IntPtr, uint, int>)Export(lib, "cuStreamWaitEvent", ref copies);
        _copyHtoDAsync = (delegate* unmanaged<ulong, IntPtr, nuint, IntPtr, int>)Export(lib, "cuMemcpyHtoDAsync_v2", ref copies);
        _copyDtoHAsync = (delegate* unmanaged<IntPtr, ulong, nuint, IntPtr, int>)Export(lib, "cuMemcpyDtoHAsync_v2", ref copies);
        Missing = graphs;
        CopyMissing = copies;
    }

    /// <summary>Why graphs cannot be used (no driver, an entry point missing), or null.</summary>
    public string? Missing { get; }

    /// <summary>Why page-locked memory, events or asynchronous copies cannot be used, or null.</summary>
    public string? CopyMissing { get; }

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

    public int HostAlloc(IntPtr* pointer, nuint bytes, uint flags) => _hostAlloc(pointer, bytes, flags);

    public int FreeHost(IntPtr pointer) => _freeHost(pointer);

    public int EventCreate(IntPtr* handle, uint flags) => _eventCreate(handle, flags);

    public int EventDestroy(IntPtr handle) => _eventDestroy(handle);

    public int EventRecord(IntPtr handle, IntPtr stream) => _eventRecord(handle, stream);

    public int EventSynchronize(IntPtr handle) => _eventSynchronize(handle);

    public int EventElapsed(float* milliseconds, IntPtr start, IntPtr end) => _eventElapsed(milliseconds, start, end);

    public int StreamWaitEvent(IntPtr stream, IntPtr handle) => _streamWaitEvent(stream, handle, 0);

    public int CopyHostToDeviceAsync(ulong destination, IntPtr source, nuint bytes, IntPtr stream) => _copyHtoDAsync(destination, source, bytes, stream);

    public int CopyDeviceToHostAsync(IntPtr destination, ulong source, nuint bytes, IntPtr stream) => _copyDtoHAsync(destination, source, bytes, stream);

    /// <summary>Throws <see cref="InvalidOperationException"/> with <see cref="Failure"/>'s message unless <paramref name="status"/> is 0.</summary>
    public void Check(string call, int status)
    {
        if (status != 0)
        {
            throw new InvalidOperationException(Failure(call, status));
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

    private static IntPtr Export(IntPtr lib, string name, ref string? missing)
    {
        if (NativeLibrary.TryGetExport(lib, name, out var address))
        {
            return address;
        }

        missing ??= $"The CUDA driver has no {name} (driver API 11.4 or later is needed).";
        return 0;
    }
}
