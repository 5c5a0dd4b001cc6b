using ILGPUInt8.Kernels.Cpu;
using Xunit;

namespace ILGPUInt8.Tests.Cpu;

/// <summary>
/// <see cref="CpuThreads"/> and its worker pool: every item runs exactly once (serial and parallel, nested and from
/// concurrent callers), ranges tile [0, count) exactly, a body's exception reaches the caller, and a steady-state call
/// allocates nothing.
/// </summary>
public sealed unsafe class CpuThreadsTests
{
    private const long Parallel = CpuThreads.SerialWork;

    [Theory]
    [InlineData(1, Parallel)]
    [InlineData(7, 0)]
    [InlineData(7, Parallel)]
    [InlineData(1000, Parallel)]
    public void Every_item_runs_exactly_once(int count, long work)
    {
        var hits = new int[count];
        fixed (int* h = hits)
        {
            var body = new Count { Hits = h };
            CpuThreads.For(count, work, ref body);
        }

        Assert.All(hits, (v, i) => Assert.True(v == 1, $"item {i} of {count} (work {work}) ran {v} times"));
    }

    [Theory]
    [InlineData(1L, 1L)]
    [InlineData(1_000_003L, 4096L)]
    [InlineData(5_000_000L, 1L)]
    public void Ranges_tile_the_interval_exactly(long count, long grain)
    {
        var hits = new int[count];
        fixed (int* h = hits)
        {
            var body = new CountRange { Hits = h };
            CpuThreads.ForRanges(count, grain, ref body);
        }

        var bad = Array.FindIndex(hits, v => v != 1);
        Assert.True(bad < 0, $"count {count}, grain {grain}: index {bad} covered {(bad < 0 ? 1 : hits[bad])} times");
    }

    [Fact]
    public void Nested_and_concurrent_calls_run_every_item_once()
    {
        const int outer = 16, inner = 64;
        var hits = new int[4 * outer * inner];
        fixed (int* h = hits)
        {
            var hp = (nint)h;
            var callers = Enumerable.Range(0, 4).Select(t => new Thread(() =>
            {
                var body = new Nested { Hits = (int*)hp + (t * outer * inner), Inner = inner };
                CpuThreads.For(outer, Parallel, ref body);
            })).ToArray();
            Array.ForEach(callers, c => c.Start());
            Array.ForEach(callers, c => c.Join());
        }

        Assert.All(hits, (v, i) => Assert.True(v == 1, $"item {i} ran {v} times"));
    }

    [Fact]
    public void A_body_exception_reaches_the_caller_and_the_pool_still_works()
    {
        var body = new Throw { At = 5 };
        var ex = Assert.Throws<InvalidOperationException>(() => CpuThreads.For(64, Parallel, ref body));
        Assert.Contains("item 5", ex.Message);
        Every_item_runs_exactly_once(1000, Parallel);
    }

    [Fact]
    public void A_steady_state_parallel_call_allocates_nothing()
    {
        var hits = new int[256];
        fixed (int* h = hits)
        {
            var body = new Count { Hits = h };
            for (var i = 0; i < 20; i++)
            {
                CpuThreads.For(256, Parallel, ref body);
            }

            // Windows of 100 calls until one allocates nothing anywhere (the test host's threads may allocate meanwhile).
            var windows = new List<string>();
            for (var window = 0; window < 5 && windows.Count == window; window++)
            {
                long thread0 = GC.GetAllocatedBytesForCurrentThread(), workers0 = CpuWorkerPool.WorkerAllocatedBytes, total0 = GC.GetTotalAllocatedBytes(precise: true);
                for (var i = 0; i < 100; i++)
                {
                    CpuThreads.For(256, Parallel, ref body);
                }

                long total = GC.GetTotalAllocatedBytes(precise: true) - total0, thread = GC.GetAllocatedBytesForCurrentThread() - thread0;
                long workers = CpuWorkerPool.WorkerAllocatedBytes - workers0;
                if (thread != 0 || workers != 0 || total != 0)
                {
                    windows.Add($"caller {thread}, workers {workers}, process {total}");
                }
            }

            Assert.True(windows.Count < 5, $"every window of 100 calls allocated (bytes): {string.Join("; ", windows)}");
        }

        Assert.All(hits, v => Assert.True(v >= 120 && (v - 20) % 100 == 0, $"{v} runs"));
    }

    /// <summary>
    /// With the workers polling (spin 200 µs, 5 ms) or sleeping at once (0), back-to-back jobs and jobs after pauses
    /// longer than the spin (the workers asleep, woken again) run every item once, and a worker takes part: item 0 waits
    /// (up to 1 s) until another thread has run an item of the same job.
    /// </summary>
    [Theory]
    [InlineData(0)]
    [InlineData(200)]
    [InlineData(5000)]
    public void Polling_or_sleeping_workers_run_every_item_once_and_help(int spin)
    {
        Assert.SkipWhen(CpuThreads.Max < 2, "One thread: no workers.");
        var before = CpuWorkerPool.SpinMicroseconds;
        try
        {
            CpuWorkerPool.SpinMicroseconds = spin;
            for (var job = 0; job < 60; job++)
            {
                if (job % 20 == 19)
                {
                    Thread.Sleep(12);
                }

                Every_item_runs_exactly_once(64, Parallel);
            }

            // A job runs on the caller alone while another test holds the pool: a worker must help in one of 10 tries.
            var helped = 0;
            for (var job = 0; job < 10 && helped == 0; job++)
            {
                Thread.Sleep(job * 8);
                var body = new Helped { Caller = Environment.CurrentManagedThreadId };
                var flags = new int[1];
                fixed (int* f = flags)
                {
                    body.Other = f;
                    CpuThreads.For(2, Parallel, ref body);
                }

                helped = flags[0];
            }

            Assert.True(helped == 1, $"no worker ran an item within 1 s in 10 jobs (spin {spin} µs)");
        }
        finally
        {
            CpuWorkerPool.SpinMicroseconds = before;
        }
    }

    // Item 0 waits until a thread other than the caller has run an item (then *Other = 1); other items just record it.
    private struct Helped : ICpuForBody
    {
        public int Caller;
        public int* Other;

        public readonly void Run(int item)
        {
            if (Environment.CurrentManagedThreadId != Caller)
            {
                Volatile.Write(ref *Other, 1);
            }

            if (item != 0)
            {
                return;
            }

            var watch = System.Diagnostics.Stopwatch.StartNew();
            while (Volatile.Read(ref *Other) == 0 && watch.ElapsedMilliseconds < 1000)
            {
                Thread.Yield();
            }
        }
    }

    private struct Count : ICpuForBody
    {
        public int* Hits;

        public readonly void Run(int item) => Interlocked.Increment(ref Hits[item]);
    }

    private struct CountRange : ICpuRangeBody
    {
        public int* Hits;

        public readonly void Run(long start, long end)
        {
            for (var i = start; i < end; i++)
            {
                Interlocked.Increment(ref Hits[i]);
            }
        }
    }

    private struct Nested : ICpuForBody
    {
        public int* Hits;
        public int Inner;

        public readonly void Run(int item)
        {
            var body = new Count { Hits = Hits + (item * Inner) };
            CpuThreads.For(Inner, Parallel, ref body);
        }
    }

    private struct Throw : ICpuForBody
    {
        public int At;

        public readonly void Run(int item)
        {
            if (item == At)
            {
                throw new InvalidOperationException($"item {item} failed");
            }
        }
    }
}
