namespace ILGPUInt8.Kernels.Cpu;

/// <summary>
/// How the CPU kernels spread work over cores: Parallel.For with at most <see cref="Max"/> threads, or a plain loop on the
/// calling thread when the work is too small to pay for a hand-off (on a busy machine a hand-off to a descheduled worker
/// costs milliseconds).
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

    /// <summary>Runs body(0 … count − 1): in parallel when <paramref name="work"/> is large enough and more than one thread is allowed.</summary>
    public static void For(int count, long work, Action<int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (count <= 1 || _max == 1 || work < SerialWork)
        {
            for (var i = 0; i < count; i++)
            {
                body(i);
            }

            return;
        }

        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = _max }, body);
    }
}
