using ILGPU;
using ILGPU.Runtime;

namespace ILGPUInt8.Layers.Runtime;

/// <summary>
/// Tensors a step sees elsewhere for the duration of one run: a float step that computes an FP16 node reads float
/// copies of its 2-byte half inputs and writes a float copy of its output (<see cref="HalfIoStep"/>), so
/// <see cref="View{T}"/> and <see cref="Pointer{T}(Plans.PlanTensor, int)"/> return those copies while they are set.
/// </summary>
public sealed partial class ExecutionContext
{
    // By tensor id: the bytes a redirected tensor is read and written at; a zero-length view where none is set.
    private ArrayView<byte>[]? _redirects;
    private int _redirected;
    private MemoryBuffer1D<byte, Stride1D.Dense>? _widening;

    /// <summary>Makes <paramref name="t"/> read and write <paramref name="bytes"/> until <see cref="ClearRedirects"/>.</summary>
    internal void Redirect(PlanTensor t, ArrayView<byte> bytes)
    {
        _redirects ??= new ArrayView<byte>[Engine.Plan.Tensors.Count];
        if (_redirects[t.Id].Length == 0)
        {
            _redirected++;
        }

        _redirects[t.Id] = bytes;
    }

    /// <summary>Ends every redirection.</summary>
    internal void ClearRedirects()
    {
        if (_redirected == 0)
        {
            return;
        }

        Array.Clear(_redirects!);
        _redirected = 0;
    }

    /// <summary>
    /// The one buffer of float copies every <see cref="HalfIoStep"/> of this context uses (they run one after another),
    /// grown to the largest request (a captured graph addresses the old buffer: the graphs are dropped then).
    /// </summary>
    internal ArrayView<float> WideningScratch(long floats)
    {
        long bytes = floats * sizeof(float);
        if (_widening is null || _widening.Length < bytes)
        {
            _widening = GrowScratch("the FP16 steps' widening buffer", _widening, bytes);
        }

        return _widening.View.AsContiguous().SubView(0, bytes).Cast<float>();
    }

    // The redirected bytes of a tensor, or a zero-length view.
    private ArrayView<byte> RedirectOf(PlanTensor t) => _redirected == 0 ? default : _redirects![t.Id];
}
