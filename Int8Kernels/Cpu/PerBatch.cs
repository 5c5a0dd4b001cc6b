namespace ILGPUInt8.Kernels.Cpu;

/// <summary>
/// A value made once per batch size and kept (the problem records of the CPU steps), so a steady-state run allocates
/// nothing. Safe for concurrent readers: a race at most makes an equal value twice.
/// </summary>
internal sealed class PerBatch<T>(Func<int, T> create)
    where T : class
{
    private readonly Func<int, T> _create = create ?? throw new ArgumentNullException(nameof(create));
    private T?[] _values = new T?[17];

    /// <summary>The value for <paramref name="batch"/> (≥ 1), made on first use.</summary>
    public T this[int batch]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
            var values = Volatile.Read(ref _values);
            if (batch < values.Length && values[batch] is { } known)
            {
                return known;
            }

            var made = _create(batch);
            if (batch >= values.Length)
            {
                var grown = new T?[Math.Max(batch + 1, values.Length * 2)];
                values.CopyTo(grown, 0);
                values = grown;
            }

            values[batch] = made;
            Volatile.Write(ref _values, values);
            return made;
        }
    }
}
