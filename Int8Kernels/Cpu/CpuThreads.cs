using System.Runtime.CompilerServices;

namespace ILGPUInt8.Kernels.Cpu;

/// <summary>The work of one item of <see cref="CpuThreads.For{TBody}(int, long, ref TBody)"/> (a struct, so a call allocates nothing).</summary>
internal interface ICpuForBody
{
    /// <summary>Runs item <paramref name="item"/> (called concurrently for distinct items).</summary>
    void Run(int item);
}

/// <summary>The work of one range of <see cref="CpuThreads.ForRanges{TBody}(long, long, ref TBody)"/>.</summary>
internal interface ICpuRangeBody
{
    /// <summary>Runs the indices [<paramref name="start"/>, <paramref name="end"/>) (called concurrently for disjoint ranges).</summary>
    void Run(long start, long end);
}

/// <summary>
/// How the CPU kernels spread work over cores: the persistent workers of <see cref="CpuWorkerPool"/> with at most
/// <see cref="Max"/> threads (the caller included), or a plain loop on the calling thread when the work is too small to
/// pay for a hand-off (on a busy machine a hand-off to a descheduled worker costs milliseconds) or the pool is serving
/// another caller. Bodies are structs passed by reference: a call allocates nothing once each body type has run once
/// on the calling thread.
/// </summary>
public static class CpuThreads
{
    private static int _max = Environment.ProcessorCount;

    /// <summary>Most threads one kernel uses (default: the processor count; 1 runs everything on the caller).</summary>
    public static int Max
    {
        get => _max;
        set => _max = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "At least one thread.");
    }

    /// <summary>Multiply-adds (or element operations) below which a kernel runs on the calling thread.</summary>
    public const long SerialWork = 1L << 21;

    /// <summary>Runs body.Run(0 … count − 1): in parallel when <paramref name="work"/> is large enough and more than one thread is allowed.</summary>
    internal static void For<TBody>(int count, long work, ref TBody body)
        where TBody : struct, ICpuForBody
    {
        if (count > 1 && _max > 1 && work >= SerialWork)
        {
            var job = CpuJob<TBody>.Rent(body);
            try
            {
                if (CpuWorkerPool.TryRun(job, count, _max))
                {
                    return;
                }
            }
            finally
            {
                job.Return();
            }
        }

        for (var i = 0; i < count; i++)
        {
            body.Run(i);
        }
    }

    /// <summary>
    /// Runs body.Run over [0, count) in contiguous ranges, one per ~<paramref name="grain"/> indices (at most 4·<see cref="Max"/>
    /// ranges): range i is [count·i / pieces, count·(i + 1) / pieces); parallel when count·16 ≥ <see cref="SerialWork"/>.
    /// </summary>
    internal static void ForRanges<TBody>(long count, long grain, ref TBody body)
        where TBody : struct, ICpuRangeBody
    {
        long pieces = Math.Clamp(count / Math.Max(1, grain), 1, 4L * _max);
        if (pieces == 1 || _max == 1 || count * 16 < SerialWork)
        {
            body.Run(0, count);
            return;
        }

        var ranges = new Ranges<TBody> { Body = body, Count = count, Pieces = pieces };
        For((int)pieces, count * 16, ref ranges);
    }

    private struct Ranges<TBody> : ICpuForBody
        where TBody : struct, ICpuRangeBody
    {
        public TBody Body;
        public long Count;
        public long Pieces;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Run(int item) => Body.Run(Count * item / Pieces, Count * (item + 1) / Pieces);
    }
}
