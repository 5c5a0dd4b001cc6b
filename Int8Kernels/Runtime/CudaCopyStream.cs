using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace ILGPUInt8.Kernels.Runtime;

/// <summary>
/// A non-blocking CUDA stream for asynchronous copies between page-locked host memory (<see cref="PinnedHostBuffer"/>)
/// and device memory. Non-blocking: it does not wait for the legacy default stream the kernels run on, so copies
/// overlap with compute; order between the two comes only from <see cref="CudaEvent"/>s (<see cref="Wait(CudaEvent)"/>,
/// <see cref="CudaEvent.Record"/>).
/// </summary>
internal sealed class CudaCopyStream : IDisposable
{
    private readonly CudaAccelerator _cuda;
    private readonly CudaStream _stream;

    /// <summary>A new non-blocking stream on <paramref name="cuda"/>.</summary>
    public CudaCopyStream(CudaAccelerator cuda)
    {
        ArgumentNullException.ThrowIfNull(cuda);
        var missing = CudaDriver.Instance.CopyMissing;
        if (missing is not null)
        {
            throw new NotSupportedException(missing);
        }

        _cuda = cuda;
        cuda.Bind();
        _stream = (CudaStream)cuda.CreateStream(StreamFlags.CU_STREAM_NON_BLOCKING);
    }

    /// <summary>The driver's stream handle.</summary>
    public IntPtr Handle => _stream.StreamPtr;

    /// <summary>The driver handle of the stream the accelerator's kernels are launched on now.</summary>
    public static IntPtr LaunchStream(Accelerator accelerator) => accelerator?.DefaultStream is CudaStream s ? s.StreamPtr : 0;

    /// <summary>Queues a copy of <paramref name="bytes"/> bytes from host <paramref name="source"/> to device <paramref name="destination"/>.</summary>
    public void HostToDevice(IntPtr destination, IntPtr source, long bytes) =>
        CudaDriver.Instance.Check("cuMemcpyHtoDAsync", CudaDriver.Instance.CopyHostToDeviceAsync((ulong)destination, source, (nuint)bytes, Handle));

    /// <summary>Queues a copy of <paramref name="bytes"/> bytes from device <paramref name="source"/> to host <paramref name="destination"/>.</summary>
    public void DeviceToHost(IntPtr destination, IntPtr source, long bytes) =>
        CudaDriver.Instance.Check("cuMemcpyDtoHAsync", CudaDriver.Instance.CopyDeviceToHostAsync(destination, (ulong)source, (nuint)bytes, Handle));

    /// <summary>Makes later work on this stream wait for <paramref name="done"/>'s last recording.</summary>
    public void Wait(CudaEvent done) => Wait(Handle, done);

    /// <summary>Makes later work on <paramref name="stream"/> wait for <paramref name="done"/>'s last recording.</summary>
    public static void Wait(IntPtr stream, CudaEvent done)
    {
        ArgumentNullException.ThrowIfNull(done);
        CudaDriver.Instance.Check("cuStreamWaitEvent", CudaDriver.Instance.StreamWaitEvent(stream, done.Handle));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!_cuda.IsDisposed)
        {
            _cuda.Bind();
            _stream.Dispose();
        }
    }
}

/// <summary>A CUDA event: recorded on a stream, waited for by the host or another stream, timed against another.</summary>
internal sealed unsafe class CudaEvent : IDisposable
{
    private readonly CudaAccelerator _cuda;
    private IntPtr _handle;

    /// <summary>A new event on <paramref name="cuda"/>; <paramref name="timing"/> false makes the cheapest ordering-only event.</summary>
    public CudaEvent(CudaAccelerator cuda, bool timing = false)
    {
        ArgumentNullException.ThrowIfNull(cuda);
        _cuda = cuda;
        cuda.Bind();
        IntPtr handle = 0;
        CudaDriver.Instance.Check("cuEventCreate", CudaDriver.Instance.EventCreate(&handle, timing ? 0 : CudaDriver.EventDisableTiming));
        _handle = handle;
    }

    /// <summary>The driver's event handle.</summary>
    public IntPtr Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle == 0, this);
            return _handle;
        }
    }

    /// <summary>Records the event at the current end of <paramref name="stream"/>.</summary>
    public void Record(IntPtr stream) => CudaDriver.Instance.Check("cuEventRecord", CudaDriver.Instance.EventRecord(Handle, stream));

    /// <summary>Blocks the calling thread until the work before the last recording has finished.</summary>
    public void Synchronize() => CudaDriver.Instance.Check("cuEventSynchronize", CudaDriver.Instance.EventSynchronize(Handle));

    /// <summary>Milliseconds from <paramref name="start"/> to <paramref name="end"/> (both timing events, both finished).</summary>
    public static double Elapsed(CudaEvent start, CudaEvent end)
    {
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(end);
        float ms;
        CudaDriver.Instance.Check("cuEventElapsedTime", CudaDriver.Instance.EventElapsed(&ms, start.Handle, end.Handle));
        return ms;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_handle == 0)
        {
            return;
        }

        if (!_cuda.IsDisposed)
        {
            _cuda.Bind();
            _ = CudaDriver.Instance.EventDestroy(_handle);
        }

        _handle = 0;
    }
}
