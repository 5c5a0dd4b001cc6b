using System.Runtime.ExceptionServices;

namespace ILGPUInt8.Kernels.Cpu;

/// <summary>A job of <see cref="CpuWorkerPool"/>: items 0 … count − 1, run by whichever thread claims them.</summary>
internal abstract class CpuJob
{
    public abstract void Run(int item);
}

/// <summary>A struct body boxed once per thread and body type, reused for every later call (no allocation per call).</summary>
internal sealed class CpuJob<TBody> : CpuJob
    where TBody : struct, ICpuForBody
{
    [ThreadStatic]
    private static CpuJob<TBody>? _spare;

    private TBody _body;

    public static CpuJob<TBody> Rent(in TBody body)
    {
        var job = _spare ?? new CpuJob<TBody>();
        _spare = null;
        job._body = body;
        return job;
    }

    public void Return()
    {
        _body = default;
        _spare = this;
    }

    public override void Run(int item) => _body.Run(item);
}

/// <summary>
/// Persistent background workers (created on first use, up to <see cref="CpuThreads.Max"/> − 1) that run one job at a
/// time with the calling thread: items are claimed one by one with a compare-and-swap on a state word (generation in
/// the high 32 bits, next item in the low 32), so a worker that wakes late, or reads a job that has since been replaced,
/// can never claim an item of the wrong job; the caller waits until every item has finished. A second caller while a
/// job runs (another execution context, or a nested call) gets false and runs its items itself. Nothing is allocated
/// per job (waits are on a semaphore and a reset event).
/// </summary>
/// <remarks>
/// A worker that has finished a job polls for the next one for <see cref="SpinMicroseconds"/> before it sleeps on the
/// semaphore, and the caller polls for the last items as long before it sleeps on the event. A network runs a parallel
/// region per layer, tens of microseconds apart: a worker asleep between them must be woken (a futex call) and then
/// scheduled, which on a loaded machine can take longer than the whole region, so the caller ran every item itself and
/// the second thread bought nothing (Fashion b64 at 2 threads = its 1-thread time in 4 of 5 rounds, session 10). A
/// polling worker stays on its core across the regions of a run, as ONNX Runtime's spinning threads do; it sleeps once
/// no job came for the spin time. Only sleeping workers are woken (<c>_sleepers</c>): a worker announces itself, then
/// looks for work once more before it sleeps, so a job published meanwhile is seen either by it or by the caller's count.
/// </remarks>
internal static class CpuWorkerPool
{
    private const long Closed = int.MaxValue;

    private static readonly object Gate = new();
    private static readonly SemaphoreSlim Wake = new(0);
    private static readonly ManualResetEventSlim Finished = new(false);
    private static int _workers;
    private static int _busy;
    private static int _sleepers;
    private static long _state;
    private static CpuJob? _job;
    private static int _count;
    private static int _done;
    private static ExceptionDispatchInfo? _error;
    private static long _workerBytes;
    private static long _workerItems;
    private static long _callerItems;
    private static int _spinMicroseconds = SpinDefault();

    /// <summary>
    /// Microseconds a worker polls for the next job before it sleeps, and the caller for the workers' last items before
    /// it sleeps (default 200; environment variable ILGPUINT8_CPU_SPIN_US; 0: sleep at once, the pool before session 11).
    /// </summary>
    internal static int SpinMicroseconds
    {
        get => Volatile.Read(ref _spinMicroseconds);
        set => Volatile.Write(ref _spinMicroseconds, value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "At least 0."));
    }

    /// <summary>Items the workers have run, in total (the benchmark's measure of whether the second thread helps).</summary>
    internal static long WorkerItems => Interlocked.Read(ref _workerItems);

    /// <summary>Items callers have run inside <see cref="TryRun"/>, in total.</summary>
    internal static long CallerItems => Interlocked.Read(ref _callerItems);

    /// <summary>Bytes the workers have allocated while running items, in total (for the zero-allocation tests).</summary>
    internal static long WorkerAllocatedBytes => Interlocked.Read(ref _workerBytes);

    /// <summary>Runs job items 0 … count − 1 on up to <paramref name="threads"/> threads; false when the pool is busy.</summary>
    public static bool TryRun(CpuJob job, int count, int threads)
    {
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            return false;
        }

        try
        {
            var workers = EnsureWorkers(threads - 1);

            // Close the current generation first (no claim can succeed), then publish the job, then open it.
            var generation = (Volatile.Read(ref _state) >> 32) + 1;
            Interlocked.Exchange(ref _state, (generation << 32) | Closed);
            _job = job;
            _count = count;
            _done = 0;
            _error = null;
            Finished.Reset();
            Interlocked.Exchange(ref _state, (generation + 1) << 32);

            // Polling workers see the open job; sleeping ones are woken (as many as there are items for).
            var sleeping = Volatile.Read(ref _sleepers);
            if (sleeping > 0)
            {
                Wake.Release(Math.Min(sleeping, Math.Min(workers, count - 1)));
            }

            Work(worker: false);
            if (Volatile.Read(ref _done) < count && !Poll(static c => Volatile.Read(ref _done) >= c, count))
            {
                Finished.Wait();
            }

            _job = null;
            _error?.Throw();
            return true;
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    private static int EnsureWorkers(int wanted)
    {
        if (Volatile.Read(ref _workers) >= wanted)
        {
            return wanted;
        }

        lock (Gate)
        {
            while (_workers < wanted)
            {
                new Thread(Loop) { IsBackground = true, Name = $"ILGPUInt8 CPU worker {_workers + 1}" }.Start();
                _workers++;
            }
        }

        return wanted;
    }

    private static void Loop()
    {
        while (true)
        {
            if (!Poll(static _ => HasWork(), 0))
            {
                // Announce, look once more (a job published before the announcement is seen here), then sleep.
                Interlocked.Increment(ref _sleepers);
                if (!HasWork())
                {
                    Wake.Wait();
                }

                Interlocked.Decrement(ref _sleepers);
            }

            Work(worker: true);
        }
    }

    // True while the published job has an item left to claim.
    private static bool HasWork() => Volatile.Read(ref _job) is not null && (int)(Volatile.Read(ref _state) & 0xFFFFFFFF) < Volatile.Read(ref _count);

    /// <summary>Polls <paramref name="ready"/> for up to <see cref="SpinMicroseconds"/>; true as soon as it holds.</summary>
    private static bool Poll(Func<int, bool> ready, int argument)
    {
        var spin = SpinMicroseconds;
        if (spin == 0)
        {
            return false;
        }

        long start = System.Diagnostics.Stopwatch.GetTimestamp(), limit = spin * System.Diagnostics.Stopwatch.Frequency / 1_000_000;
        while (true)
        {
            for (var i = 0; i < 16; i++)
            {
                if (ready(argument))
                {
                    return true;
                }

                Thread.SpinWait(8);
            }

            if (System.Diagnostics.Stopwatch.GetTimestamp() - start > limit)
            {
                return ready(argument);
            }
        }
    }

    /// <summary>Claims and runs items of the published job until none is left.</summary>
    private static void Work(bool worker)
    {
        while (true)
        {
            var state = Volatile.Read(ref _state);
            var job = Volatile.Read(ref _job);
            var count = Volatile.Read(ref _count);
            var next = (int)(state & 0xFFFFFFFF);
            if (job is null || next >= count)
            {
                return;
            }

            if (Interlocked.CompareExchange(ref _state, state + 1, state) != state)
            {
                continue;
            }

            var before = worker ? GC.GetAllocatedBytesForCurrentThread() : 0;
            try
            {
                job.Run(next);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _error, ExceptionDispatchInfo.Capture(e), null);
            }

            if (worker && GC.GetAllocatedBytesForCurrentThread() - before is var bytes and > 0)
            {
                Interlocked.Add(ref _workerBytes, bytes);
            }

            Interlocked.Increment(ref worker ? ref _workerItems : ref _callerItems);
            if (Interlocked.Increment(ref _done) == count)
            {
                Finished.Set();
            }
        }
    }

    private static int SpinDefault() =>
        int.TryParse(Environment.GetEnvironmentVariable("ILGPUINT8_CPU_SPIN_US"), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var us) ? us : 200;
}
