using System.Diagnostics;
using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Layers.Runtime;

/// <summary>Writes the input of batch <paramref name="index"/> (batch·C·H·W values) straight into page-locked memory.</summary>
/// <typeparam name="TInput">The engine input's element type.</typeparam>
public delegate void PipelineFill<TInput>(long index, Span<TInput> input)
    where TInput : unmanaged;

/// <summary>Receives the output of batch <paramref name="index"/> (NCHW float); the span is valid only during the call.</summary>
public delegate void PipelineConsume(long index, ReadOnlySpan<float> output);

/// <summary>
/// Streams many batches through a single-input, single-output engine with the transfers hidden behind the compute:
/// <see cref="Depth"/> slots, each an <see cref="ExecutionContext"/> with page-locked host input and output buffers.
/// On CUDA batch i's upload runs on a copy stream while batch i−1 computes on the launch stream and batch i−2's output
/// comes back on a third stream; events order the three (upload → compute → download per slot) and the host waits for
/// a slot's download before it reuses the slot, so outputs come back in input order. On the CPU accelerator and the CPU
/// backend (or a driver without the entry points) there is one slot and every batch is copied in, run and copied out in
/// turn, with the same results (<see cref="FallbackReason"/> says why). Batch i uses slot i mod <see cref="Depth"/>, whose
/// input memory keeps what it held until written again. One run at a time; not thread-safe.
/// </summary>
/// <typeparam name="TInput">The engine input's element type (float for NCHW float input).</typeparam>
public sealed class PipelinedRunner<TInput> : IDisposable
    where TInput : unmanaged
{
    /// <summary>Slots by default: one uploading, one computing, one downloading.</summary>
    public const int DefaultDepth = 3;

    private readonly PipelineSlots _slots;
    private bool _running;

    /// <summary>A runner of <paramref name="engine"/> (which it does not own) with <paramref name="depth"/> slots on CUDA.</summary>
    public PipelinedRunner(Engine engine, int depth = DefaultDepth)
        : this(engine, depth, null)
    {
    }

    /// <summary>A runner of <paramref name="engine"/>; with <paramref name="images"/>, one that streams uint8 images (<see cref="PipelinedRunner.ForImages"/>).</summary>
    internal PipelinedRunner(Engine engine, int depth, Preprocessing? images)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentOutOfRangeException.ThrowIfLessThan(depth, 1);
        if (engine.Inputs.Count != 1 || engine.Outputs.Count != 1)
        {
            throw new NotSupportedException($"A pipelined runner streams single-input, single-output engines; this one has {engine.Inputs.Count} inputs and {engine.Outputs.Count} outputs (use ExecutionContext.SetInput / Enqueue / ReadOutput).");
        }

        Engine = engine;
        InputValuesPerItem = engine.Inputs[0].Dims.Volume;
        OutputValuesPerItem = engine.Outputs[0].Dims.Volume;
        if (images is not null && typeof(TInput) != typeof(byte))
        {
            throw new ArgumentException($"Image input streams bytes: use PipelinedRunner<byte>, not PipelinedRunner<{typeof(TInput).Name}>.", nameof(images));
        }

        _slots = new PipelineSlots(engine, depth, typeof(TInput), InputValuesPerItem * System.Runtime.CompilerServices.Unsafe.SizeOf<TInput>(), OutputValuesPerItem * sizeof(float), images);
    }

    /// <summary>The engine.</summary>
    public Engine Engine { get; }

    /// <summary>Slots (batches in flight at most): the depth asked for on CUDA, 1 where copies are plain.</summary>
    public int Depth => _slots.Count;

    /// <summary>Whether copies run asynchronously from page-locked memory, overlapped with compute (CUDA).</summary>
    public bool Overlapped => FallbackReason is null;

    /// <summary>Why this runner copies plainly, one batch after the other, or null when it overlaps.</summary>
    public string? FallbackReason => _slots.FallbackReason;

    /// <summary>Input values of one item (C·H·W).</summary>
    public long InputValuesPerItem { get; }

    /// <summary>Output values of one item (C·H·W).</summary>
    public long OutputValuesPerItem { get; }

    /// <summary>Batches, items and seconds of the last finished run, or null.</summary>
    public PipelineRunStats? LastRun { get; private set; }

    /// <summary>
    /// Runs every batch of <paramref name="batches"/> (each a whole number of items, 1 to the engine's maximum batch)
    /// and yields each output as a new array (NCHW float), lazily and in input order.
    /// </summary>
    public IEnumerable<float[]> Run(IEnumerable<ReadOnlyMemory<TInput>> batches)
    {
        ArgumentNullException.ThrowIfNull(batches);
        return Outputs(batches);
    }

    /// <summary>Runs every batch of <paramref name="batches"/> and gives each output to <paramref name="consume"/> in input order; returns the batches run.</summary>
    public long Run(IEnumerable<ReadOnlyMemory<TInput>> batches, PipelineConsume consume)
    {
        ArgumentNullException.ThrowIfNull(batches);
        ArgumentNullException.ThrowIfNull(consume);
        using var source = batches.GetEnumerator();
        return Drain(Stream((index, input) => FromSequence(source, index, input)), consume);
    }

    /// <summary>
    /// Runs <paramref name="batches"/> batches of <paramref name="batchSize"/> items: <paramref name="fill"/> writes each
    /// input straight into page-locked memory (no extra copy), <paramref name="consume"/> reads each output in input
    /// order. A fill that writes nothing leaves the slot's previous input in place. Returns the batches run.
    /// </summary>
    public long Run(long batches, int batchSize, PipelineFill<TInput> fill, PipelineConsume consume)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batches);
        ArgumentNullException.ThrowIfNull(fill);
        ArgumentNullException.ThrowIfNull(consume);
        CheckBatch(batchSize);
        return Drain(Stream((index, input) => index >= batches ? 0 : FromFill(fill, index, batchSize, input)), consume);
    }

    /// <summary>
    /// Times each stage alone for <paramref name="batchSize"/> items, averaged over <paramref name="repeats"/> runs after
    /// a warm-up: the upload from page-locked memory, the compute (CUDA graph replays where they apply) and the download,
    /// with CUDA events on CUDA and a stopwatch elsewhere. The input is what slot 0 holds.
    /// </summary>
    public PipelineStageTimes MeasureStages(int batchSize, int repeats)
    {
        CheckBatch(batchSize);
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        EnterRun();
        try
        {
            var inBytes = batchSize * _slots.InputBytesPerItem;
            var outBytes = batchSize * _slots.OutputBytesPerItem;
            var (h2d, compute, d2h) = _slots.MeasureStages(batchSize, repeats);
            return new PipelineStageTimes(batchSize, inBytes, outBytes, h2d, compute, d2h, Overlapped);
        }
        finally
        {
            _running = false;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _slots.Dispose();

    private IEnumerable<float[]> Outputs(IEnumerable<ReadOnlyMemory<TInput>> batches)
    {
        using var source = batches.GetEnumerator();
        foreach (var slot in Stream((index, input) => FromSequence(source, index, input)))
        {
            yield return slot.Result().ToArray();
        }
    }

    private static long Drain(IEnumerable<PipelineSlot> stream, PipelineConsume consume)
    {
        long count = 0;
        foreach (var slot in stream)
        {
            try
            {
                consume(slot.Index, slot.Result());
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                throw new InvalidOperationException($"The output callback failed at batch {slot.Index}: {ex.Message}", ex);
            }

            count++;
        }

        return count;
    }

    /// <summary>
    /// The pipeline: fills and submits batch after batch into the ring of slots, waits for the oldest slot when it is
    /// needed again and yields its output (valid until the next step of the iteration); drains the rest in order at the
    /// end. <paramref name="fill"/> writes batch i into slot i mod Depth's input memory and returns its items, 0 at the
    /// end. Left early (an exception, a consumer that stops), it waits for the work in flight so the runner stays usable.
    /// </summary>
    private IEnumerable<PipelineSlot> Stream(Func<long, PinnedHostBuffer, int> fill)
    {
        EnterRun();
        var watch = Stopwatch.StartNew();
        long next = 0, done = 0, items = 0;
        var finished = false;
        try
        {
            while (true)
            {
                var slot = _slots[next % Depth];
                if (slot.Busy)
                {
                    done++;
                    _slots.Complete(slot);
                    yield return slot;
                }

                var batch = fill(next, slot.Input);
                if (batch == 0)
                {
                    break;
                }

                _slots.Submit(slot, next, batch);
                items += batch;
                next++;
            }

            while (done < next)
            {
                var slot = _slots[done % Depth];
                done++;
                _slots.Complete(slot);
                yield return slot;
            }

            finished = true;
            LastRun = new PipelineRunStats(next, items, watch.Elapsed.TotalSeconds);
        }
        finally
        {
            if (!finished)
            {
                _slots.Abandon();
            }

            _running = false;
        }
    }

    private int FromSequence(IEnumerator<ReadOnlyMemory<TInput>> source, long index, PinnedHostBuffer input)
    {
        bool more;
        try
        {
            more = source.MoveNext();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new InvalidOperationException($"The input sequence failed at batch {index}: {ex.Message}", ex);
        }

        if (!more)
        {
            return 0;
        }

        var values = source.Current.Span;
        var items = values.Length / InputValuesPerItem;
        if (values.Length == 0 || values.Length % InputValuesPerItem != 0 || items > Engine.MaxBatchSize)
        {
            throw new ArgumentException($"Batch {index} has {values.Length} values: '{Engine.Inputs[0].Name}' {Engine.Inputs[0].Dims} needs a whole number of items of {InputValuesPerItem} values, 1 to the engine's maximum batch {Engine.MaxBatchSize}.");
        }

        PipelineSlots.CopyParallel(values, input.AsSpan<TInput>(values.Length));
        return (int)items;
    }

    private int FromFill(PipelineFill<TInput> fill, long index, int batchSize, PinnedHostBuffer input)
    {
        try
        {
            fill(index, input.AsSpan<TInput>(batchSize * InputValuesPerItem));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new InvalidOperationException($"The fill callback failed at batch {index}: {ex.Message}", ex);
        }

        return batchSize;
    }

    private void EnterRun()
    {
        ObjectDisposedException.ThrowIf(_slots.Disposed, this);
        if (_running)
        {
            throw new InvalidOperationException("The runner is already running a stream (one run at a time; finish or dispose the previous enumeration).");
        }

        _running = true;
    }

    private void CheckBatch(int batchSize)
    {
        if (batchSize < 1 || batchSize > Engine.MaxBatchSize)
        {
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"The batch size must be in [1, {Engine.MaxBatchSize}] (the engine's maximum).");
        }
    }
}

/// <summary>What a finished pipelined run did.</summary>
/// <param name="Batches">Batches run.</param>
/// <param name="Items">Items (images) run.</param>
/// <param name="Seconds">Wall time from the first fill to the last output.</param>
public sealed record PipelineRunStats(long Batches, long Items, double Seconds)
{
    /// <summary>Items per second end to end.</summary>
    public double ItemsPerSecond => Seconds > 0 ? Items / Seconds : 0;
}

/// <summary>Each stage of one batch timed alone (<see cref="PipelinedRunner{TInput}.MeasureStages"/>).</summary>
/// <param name="BatchSize">Items a batch.</param>
/// <param name="InputBytes">Bytes uploaded a batch.</param>
/// <param name="OutputBytes">Bytes downloaded a batch.</param>
/// <param name="HostToDeviceMs">Upload time a batch.</param>
/// <param name="ComputeMs">Compute time a batch.</param>
/// <param name="DeviceToHostMs">Download time a batch.</param>
/// <param name="PageLocked">Whether the copies ran from page-locked memory on a copy stream.</param>
public sealed record PipelineStageTimes(int BatchSize, long InputBytes, long OutputBytes, double HostToDeviceMs, double ComputeMs, double DeviceToHostMs, bool PageLocked)
{
    // GB/s = bytes / (ms · 10⁶).

    /// <summary>Measured upload bandwidth, GB/s (10⁹ bytes).</summary>
    public double HostToDeviceGBps => HostToDeviceMs > 0 ? InputBytes / (HostToDeviceMs * 1e6) : 0;

    /// <summary>Measured download bandwidth, GB/s.</summary>
    public double DeviceToHostGBps => DeviceToHostMs > 0 ? OutputBytes / (DeviceToHostMs * 1e6) : 0;

    // Items/s of a stage = batch / (ms / 1000); the upload bound = bandwidth / bytes an item = the same for the upload.

    /// <summary>Items per second the upload alone allows: H2D bandwidth ÷ input bytes an item.</summary>
    public double HostToDeviceBound => HostToDeviceMs > 0 ? BatchSize * 1000.0 / HostToDeviceMs : double.PositiveInfinity;

    /// <summary>Items per second of the compute alone.</summary>
    public double ComputeItemsPerSecond => ComputeMs > 0 ? BatchSize * 1000.0 / ComputeMs : double.PositiveInfinity;

    /// <summary>Items per second the download alone allows.</summary>
    public double DeviceToHostBound => DeviceToHostMs > 0 ? BatchSize * 1000.0 / DeviceToHostMs : double.PositiveInfinity;
}

/// <summary>Factories of <see cref="PipelinedRunner{TInput}"/>.</summary>
public static class PipelinedRunner
{
    /// <summary>
    /// A runner that streams uint8 NHWC images [batch, H, W, C], prepared as <paramref name="images"/>: each batch's
    /// bytes go to the device as they are (4× fewer than float NCHW) and the engine's folded INT8 stem maps them through
    /// the per-channel table (<see cref="ExecutionContext.SetInputImages"/>). Refused, saying why, for an engine that
    /// normalizes images on the host (FP32 input, CPU backend, unfolded stem).
    /// </summary>
    public static PipelinedRunner<byte> ForImages(Engine engine, Preprocessing images, int depth = PipelinedRunner<byte>.DefaultDepth)
    {
        ArgumentNullException.ThrowIfNull(images);
        return new PipelinedRunner<byte>(engine, depth, images);
    }
}
