namespace ILGPUInt8.Kernels.Runtime;

/// <summary>
/// Orders the launches of one device against CUDA graph captures and replays. A capture redirects the accelerator's
/// default stream (the one every ILGPU launcher reads at call time) to its capture stream, so for its duration no other
/// thread may queue work on the device; a replay must not fall between the launches of a sequence that shares a
/// device-wide buffer (split-K's workspace: zero, accumulate, finish). Ordinary launch sequences and copies hold the
/// shared side (<see cref="Launching"/>), a capture or a replay the exclusive side (<see cref="Exclusive"/>).
/// Recursive: the exclusive holder may enter either side again inside. Launches made without the gate (kernels called
/// directly, engine building) must not run while another thread captures. On a device without CUDA graphs (the CPU
/// accelerator, the CPU backend) the gate is open: both sides return at once and take no lock, so the host's
/// steady-state runs stay free of lock bookkeeping.
/// </summary>
/// <param name="enabled">False for a device that never captures: every scope is a no-op.</param>
public sealed class LaunchGate(bool enabled = true) : IDisposable
{
    private readonly ReaderWriterLockSlim? _lock = enabled ? new(LockRecursionPolicy.SupportsRecursion) : null;

    /// <summary>Held while a sequence of launches or copies is queued (many threads at once).</summary>
    public Scope Launching()
    {
        if (_lock is null)
        {
            return default;
        }

        _lock.EnterReadLock();
        return new Scope(_lock, exclusive: false);
    }

    /// <summary>Held while a capture redirects the default stream or a graph is queued (one thread, no launcher else).</summary>
    public Scope Exclusive()
    {
        if (_lock is null)
        {
            return default;
        }

        _lock.EnterWriteLock();
        return new Scope(_lock, exclusive: true);
    }

    /// <inheritdoc />
    public void Dispose() => _lock?.Dispose();

    /// <summary>One held side of the gate; dispose to leave it.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly ReaderWriterLockSlim? _lock;
        private readonly bool _exclusive;

        internal Scope(ReaderWriterLockSlim gate, bool exclusive)
        {
            _lock = gate;
            _exclusive = exclusive;
        }

        /// <inheritdoc />
        public void Dispose()
        {
            if (_lock is null)
            {
                return;
            }

            if (_exclusive)
            {
                _lock.ExitWriteLock();
            }
            else
            {
                _lock.ExitReadLock();
            }
        }
    }
}
