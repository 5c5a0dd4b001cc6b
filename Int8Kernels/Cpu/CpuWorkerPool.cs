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
internal static class CpuWorkerPool
{
    private const long Closed = int.MaxValue;

    private static readonly object Gate = new();
    private static readonly SemaphoreSlim Wake = new(0);
    private static readonly ManualResetEventSlim Finished = new(false);
    private static int _workers;
    private static int _busy;
    private static long _state;
    private static CpuJob? _job;
    private static int _count;
    private static int _done;
    private static ExceptionDispatchInfo? _error;
    private static long _workerBytes;

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
            Wake.Release(Math.Min(workers, count - 1));
            Work(worker: false);
            if (Volatile.Read(ref _done) < count)
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
            Wake.Wait();
            Work(worker: true);
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

            if (Interlocked.Increment(ref _done) == count)
            {
                Finished.Set();
            }
        }
    }
}
