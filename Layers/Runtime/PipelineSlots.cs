using System.Diagnostics;
using ILGPU.Runtime.Cuda;
using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Layers.Runtime;

/// <summary>One slot of a pipelined runner: a context, its host buffers, its three events and the batch it holds.</summary>
internal sealed class PipelineSlot : IDisposable
{
    public PipelineSlot(ExecutionContext context, PinnedHostBuffer input, PinnedHostBuffer output, CudaAccelerator? cuda)
    {
        Context = context;
        Input = input;
        Output = output;
        if (cuda is not null)
        {
            Uploaded = new CudaEvent(cuda);
            Computed = new CudaEvent(cuda);
            Downloaded = new CudaEvent(cuda);
        }
    }

    public ExecutionContext Context { get; }

    public PinnedHostBuffer Input { get; }

    public PinnedHostBuffer Output { get; }

    public CudaEvent? Uploaded { get; }

    public CudaEvent? Computed { get; }

    public CudaEvent? Downloaded { get; }

    /// <summary>Whether a submitted batch has not been completed yet.</summary>
    public bool Busy { get; set; }

    /// <summary>Index of the batch in the slot.</summary>
    public long Index { get; set; }

    /// <summary>Output values of the batch in the slot.</summary>
    public long OutputValues { get; set; }

    /// <summary>The output of the completed batch (NCHW float).</summary>
    public ReadOnlySpan<float> Result() => Output.AsSpan<float>(OutputValues);

    public void Dispose()
    {
        Uploaded?.Dispose();
        Computed?.Dispose();
        Downloaded?.Dispose();
        Context.Dispose();
        Input.Dispose();
        Output.Dispose();
    }
}

/// <summary>
/// The slots of a <see cref="PipelinedRunner{TInput}"/> and the stream work on them: on CUDA an upload stream and a
/// download stream besides the launch stream, ordered per slot by events (upload → compute → download); elsewhere plain
/// host copies into and out of the staging buffers, which are host memory there.
/// </summary>
internal sealed class PipelineSlots : IDisposable
{
    private readonly Engine _engine;
    private readonly PipelineSlot[] _slots;
    private readonly CudaAccelerator? _cuda;
    private readonly CudaCopyStream? _upload;
    private readonly CudaCopyStream? _download;
    private readonly bool _images;

    public PipelineSlots(Engine engine, int depth, Type inputType, long inputBytesPerItem, long outputBytesPerItem, Preprocessing? images = null)
    {
        _engine = engine;
        _images = images is not null;
        InputBytesPerItem = inputBytesPerItem;
        OutputBytesPerItem = outputBytesPerItem;
        FallbackReason = engine.HostIsa is not null ? "the CPU backend runs on the host: copies are plain host copies, one batch after the other."
            : !engine.Device.IsCuda ? "the ILGPU CPU accelerator has no copy streams: copies are plain host copies, one batch after the other."
            : CudaDriver.Instance.CopyMissing;
        var slots = new List<PipelineSlot>();
        try
        {
            if (FallbackReason is null)
            {
                _cuda = (CudaAccelerator)engine.Device.Accelerator;
                _upload = new CudaCopyStream(_cuda);
                _download = new CudaCopyStream(_cuda);
            }

            for (var i = 0; i < (FallbackReason is null ? depth : 1); i++)
            {
                var context = engine.CreateExecutionContext();
                var staged = context.InputElementType(0);
                if (images is not null && context.PrepareImageStaging(images) is { } refused)
                {
                    context.Dispose();
                    throw new NotSupportedException($"The engine's input '{engine.Inputs[0].Name}' cannot stream uint8 images: {refused}.");
                }

                if (images is null && staged != inputType)
                {
                    context.Dispose();
                    throw new ArgumentException($"The engine's input '{engine.Inputs[0].Name}' takes {staged.Name} values; this runner was made for {inputType.Name} (use PipelinedRunner<{staged.Name}>).");
                }

                PinnedHostBuffer? input = null;
                try
                {
                    input = PinnedHostBuffer.Allocate(engine.Device, inputBytesPerItem * engine.MaxBatchSize);
                    var output = PinnedHostBuffer.Allocate(engine.Device, outputBytesPerItem * engine.MaxBatchSize);
                    input.AsSpan<byte>(input.Bytes).Clear();
                    slots.Add(new PipelineSlot(context, input, output, _cuda));
                }
                catch
                {
                    input?.Dispose();
                    context.Dispose();
                    throw;
                }
            }
        }
        catch
        {
            slots.ForEach(s => s.Dispose());
            _upload?.Dispose();
            _download?.Dispose();
            throw;
        }

        _slots = [.. slots];
    }

    public int Count => _slots.Length;

    public string? FallbackReason { get; }

    public long InputBytesPerItem { get; }

    public long OutputBytesPerItem { get; }

    public bool Disposed { get; private set; }

    public PipelineSlot this[long i] => _slots[i];

    /// <summary>
    /// Copies <paramref name="source"/> into <paramref name="destination"/>: in chunks of at least 4 MiB on
    /// several threads (one thread's memcpy reaches about a third of a PCIe 5 link), a plain copy when smaller.
    /// </summary>
    public static void CopyParallel<T>(ReadOnlySpan<T> source, Span<T> destination)
        where T : unmanaged
    {
        var bytes = (long)source.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        const long chunkBytes = 4 << 20;
        var chunks = (int)Math.Min(Environment.ProcessorCount, bytes / chunkBytes);
        if (chunks < 2)
        {
            source.CopyTo(destination);
            return;
        }

        unsafe
        {
            fixed (T* from = source)
            fixed (T* to = destination)
            {
                var (s, d, n) = ((IntPtr)from, (IntPtr)to, source.Length);
                Parallel.For(0, chunks, c =>
                {
                    // Chunk c covers [n·c/chunks, n·(c+1)/chunks).
                    var start = (int)((long)n * c / chunks);
                    var end = (int)((long)n * (c + 1) / chunks);
                    new ReadOnlySpan<T>((T*)s + start, end - start).CopyTo(new Span<T>((T*)d + start, end - start));
                });
            }
        }
    }

    /// <summary>Queues batch <paramref name="index"/> of <paramref name="batch"/> items, already in the slot's input memory.</summary>
    public void Submit(PipelineSlot slot, long index, int batch)
    {
        var inBytes = batch * InputBytesPerItem;
        var outBytes = batch * OutputBytesPerItem;
        var context = slot.Context;
        slot.Index = index;
        slot.OutputValues = outBytes / sizeof(float);
        if (_cuda is null)
        {
            // Plain copies: the staging buffers are host memory on the CPU accelerator and the CPU backend.
            Copy(slot.Input.Pointer, InputAddress(context), inBytes);
            context.RunStaged(batch);
            _engine.Device.Synchronize();
            Copy(context.OutputAddress(0), slot.Output.Pointer, outBytes);
            slot.Busy = true;
            return;
        }

        _cuda.Bind();
        var gate = _engine.Device.LaunchGate;
        using (gate.Launching())
        {
            _upload!.HostToDevice(InputAddress(context), slot.Input.Pointer, inBytes);
            slot.Uploaded!.Record(_upload.Handle);
            CudaCopyStream.Wait(CudaCopyStream.LaunchStream(_cuda), slot.Uploaded);
        }

        context.RunStaged(batch);
        using (gate.Launching())
        {
            slot.Computed!.Record(CudaCopyStream.LaunchStream(_cuda));
            _download!.Wait(slot.Computed);
            _download.DeviceToHost(slot.Output.Pointer, context.OutputAddress(0), outBytes);
            slot.Downloaded!.Record(_download.Handle);
        }

        slot.Busy = true;
    }

    /// <summary>Waits until the slot's output is in its host memory.</summary>
    public void Complete(PipelineSlot slot)
    {
        if (_cuda is not null)
        {
            _cuda.Bind();
            slot.Downloaded!.Synchronize();
        }

        slot.Busy = false;
    }

    /// <summary>Waits for everything in flight and frees every slot (after an error or an early stop).</summary>
    public void Abandon()
    {
        try
        {
            if (_cuda is not null && !_cuda.IsDisposed)
            {
                _cuda.Bind();
                foreach (var slot in _slots.Where(s => s.Busy))
                {
                    slot.Downloaded!.Synchronize();
                }

                _engine.Device.Synchronize();
            }
        }
        finally
        {
            foreach (var slot in _slots)
            {
                slot.Busy = false;
            }
        }
    }

    /// <summary>Milliseconds a batch of upload, compute and download, each alone (see <see cref="PipelinedRunner{TInput}.MeasureStages"/>).</summary>
    public (double Upload, double Compute, double Download) MeasureStages(int batch, int repeats)
    {
        var slot = _slots[0];
        var context = slot.Context;
        var inBytes = batch * InputBytesPerItem;
        var outBytes = batch * OutputBytesPerItem;

        // Warm-up: kernels loaded, the batch size's CUDA graph captured (its second run).
        for (var i = 0; i < 3; i++)
        {
            Submit(slot, 0, batch);
            Complete(slot);
        }

        if (_cuda is null)
        {
            var watch = Stopwatch.StartNew();
            for (var r = 0; r < repeats; r++)
            {
                Copy(slot.Input.Pointer, InputAddress(context), inBytes);
            }

            var upload = watch.Elapsed.TotalMilliseconds / repeats;
            watch.Restart();
            for (var r = 0; r < repeats; r++)
            {
                context.RunStaged(batch);
                _engine.Device.Synchronize();
            }

            var compute = watch.Elapsed.TotalMilliseconds / repeats;
            watch.Restart();
            for (var r = 0; r < repeats; r++)
            {
                Copy(context.OutputAddress(0), slot.Output.Pointer, outBytes);
            }

            return (upload, compute, watch.Elapsed.TotalMilliseconds / repeats);
        }

        using var start = new CudaEvent(_cuda, timing: true);
        using var end = new CudaEvent(_cuda, timing: true);
        var h2d = Time(start, end, _upload!.Handle, repeats, () => _upload.HostToDevice(InputAddress(context), slot.Input.Pointer, inBytes));
        var run = Time(start, end, 0, repeats, () => context.RunStaged(batch));
        var d2h = Time(start, end, _download!.Handle, repeats, () => _download.DeviceToHost(slot.Output.Pointer, context.OutputAddress(0), outBytes));
        return (h2d, run, d2h);
    }

    public void Dispose()
    {
        if (Disposed)
        {
            return;
        }

        Disposed = true;
        Abandon();
        foreach (var slot in _slots)
        {
            slot.Dispose();
        }

        _upload?.Dispose();
        _download?.Dispose();
    }

    // Where a batch's input goes: the image bytes in image mode, else the input's staging buffer.
    private IntPtr InputAddress(ExecutionContext context) => _images ? context.ImageAddress : context.InputAddress(0);

    private static unsafe void Copy(IntPtr from, IntPtr to, long bytes) => Buffer.MemoryCopy((void*)from, (void*)to, bytes, bytes);

    /// <summary>
    /// Average milliseconds of <paramref name="queue"/> over <paramref name="repeats"/> calls between two events on
    /// <paramref name="stream"/> (0: the launch stream, read under the launch gate as the queued work reads it).
    /// </summary>
    private double Time(CudaEvent start, CudaEvent end, IntPtr stream, int repeats, Action queue)
    {
        var gate = _engine.Device.LaunchGate;
        _cuda!.Bind();
        _engine.Device.Synchronize();
        using (gate.Launching())
        {
            start.Record(stream != 0 ? stream : CudaCopyStream.LaunchStream(_cuda));
        }

        for (var r = 0; r < repeats; r++)
        {
            queue();
        }

        using (gate.Launching())
        {
            end.Record(stream != 0 ? stream : CudaCopyStream.LaunchStream(_cuda));
        }

        end.Synchronize();
        return CudaEvent.Elapsed(start, end) / repeats;
    }
}
