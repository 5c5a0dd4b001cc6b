namespace ILGPUInt8.Kernels.Cpu;

/// <summary>
/// Per-thread work arrays of the CPU kernels' bodies (tiles, per-pixel sums): two independent slots per element type,
/// each grown (to a power of two) only when a larger one is first needed on that thread, then kept. Unlike the shared
/// array pool, nothing is ever trimmed or handed between threads, so a thread that has run an item of each size never
/// allocates again. Contents are not cleared. A body must not hold a slot across a call that may use the same slot.
/// </summary>
internal static class CpuScratch<T>
    where T : unmanaged
{
    [ThreadStatic]
    private static T[]? _first;

    [ThreadStatic]
    private static T[]? _second;

    /// <summary>This thread's first array, at least <paramref name="length"/> long.</summary>
    public static T[] First(int length) => _first is { } a && a.Length >= length ? a : _first = new T[Size(length)];

    /// <summary>This thread's second array, at least <paramref name="length"/> long.</summary>
    public static T[] Second(int length) => _second is { } a && a.Length >= length ? a : _second = new T[Size(length)];

    private static int Size(int length) => length <= 16 ? 16 : (int)Math.Min(Array.MaxLength, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)length));
}
