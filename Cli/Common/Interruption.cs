using System.Runtime.InteropServices;

namespace ILGPUInt8.Cli.Common;

/// <summary>
/// Ctrl-C (SIGINT) and SIGTERM for a long-running command: the default exit is replaced by a cancellation of
/// <see cref="Token"/>, so the command stops cleanly and exits <see cref="ExitCode"/> (130 after Ctrl-C, 143 after SIGTERM).
/// Dispose to restore the default behaviour.
/// </summary>
public sealed class Interruption : IDisposable
{
    private readonly CancellationTokenSource _cancel = new();
    private readonly PosixSignalRegistration[] _signals;
    private int _signal;

    /// <summary>Listens for SIGINT and SIGTERM.</summary>
    public Interruption()
    {
        _signals =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle),
        ];
    }

    /// <summary>Cancelled by the first signal.</summary>
    public CancellationToken Token => _cancel.Token;

    /// <summary>True once a signal arrived.</summary>
    public bool Interrupted => Volatile.Read(ref _signal) != 0;

    /// <summary>The shell's exit code for the signal: 128 + its number (SIGINT 2 → 130, SIGTERM 15 → 143).</summary>
    public int ExitCode => Volatile.Read(ref _signal) == (int)PosixSignal.SIGTERM ? 143 : 130;

    /// <summary>Stops as if Ctrl-C had been pressed.</summary>
    public void Cancel()
    {
        Interlocked.CompareExchange(ref _signal, (int)PosixSignal.SIGINT, 0);
        _cancel.Cancel();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var s in _signals)
        {
            s.Dispose();
        }

        _cancel.Dispose();
    }

    private void Handle(PosixSignalContext context)
    {
        // Handled here: no default termination; the command winds down and returns the exit code.
        context.Cancel = true;
        Interlocked.CompareExchange(ref _signal, (int)context.Signal, 0);
        _cancel.Cancel();
    }
}
