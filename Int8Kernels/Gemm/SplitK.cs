using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Gemm;

/// <summary>
/// ws[row·ld + col] += acc, atomically: the partial-sum epilogue of split-K launches (each K range adds its
/// partial accumulators into a zeroed int32 workspace; int32 addition wraps, so the order does not matter and the
/// result is bit-exact).
/// </summary>
/// <param name="Workspace">Row-major int32 workspace, zeroed before the launch.</param>
/// <param name="Ld">Leading dimension (elements between rows).</param>
public readonly record struct AtomicAddEpilogue(ArrayView<int> Workspace, int Ld) : IGemmEpilogue
{
    /// <inheritdoc />
    public void Apply(int row, int col, int acc) => Atomic.Add(ref Workspace[((long)row * Ld) + col], acc);

    /// <inheritdoc />
    public void Apply4(int row, int col, int acc0, int acc1, int acc2, int acc3)
    {
        long i = ((long)row * Ld) + col;
        Atomic.Add(ref Workspace[i], acc0);
        Atomic.Add(ref Workspace[i + 1], acc1);
        Atomic.Add(ref Workspace[i + 2], acc2);
        Atomic.Add(ref Workspace[i + 3], acc3);
    }

    /// <inheritdoc />
    public EpilogueOperand Operand
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => EpilogueOperand.None;
    }

    /// <inheritdoc />
    public void Apply4(int row, int col, int acc0, int acc1, int acc2, int acc3, int operand) => Apply4(row, col, acc0, acc1, acc2, acc3);

    /// <inheritdoc />
    public EpilogueColumns LoadColumns4(int col) => default;

    /// <inheritdoc />
    public void Apply4(int row, int col, EpilogueColumns columns, int acc0, int acc1, int acc2, int acc3, int operand) => Apply4(row, col, acc0, acc1, acc2, acc3, operand);
}

/// <summary>
/// Split-K on the host: zero an int32 workspace of rows × cols, let the partial launches add into it
/// (<see cref="AtomicAddEpilogue"/>), then finish every element with the real epilogue. One workspace per device,
/// grown on demand; the three launches are enqueued under a lock on the default stream, so concurrent callers
/// never share it mid-flight.
/// </summary>
internal static class SplitK
{
    private static readonly ConditionalWeakTable<Int8Device, Workspace> Workspaces = new();

    /// <summary>Zeroes the workspace, runs <paramref name="partials"/> with it, then applies <paramref name="epilogue"/>.</summary>
    public static void Run<TEpilogue>(Int8Device device, int rows, int cols, Action<ArrayView<int>> partials, TEpilogue epilogue)
        where TEpilogue : struct, IGemmEpilogue
    {
        var workspace = Workspaces.GetValue(device, _ => new Workspace());

        // The shared side of the launch gate: a CUDA graph replay (which may use the same workspace) never falls
        // between these three launches.
        using var launching = device.LaunchGate.Launching();
        lock (workspace)
        {
            var view = workspace.Get(device, (long)rows * cols);
            view.MemSetToZero();
            partials(view);
            var finish = device.GetKernel("splitk.finish." + typeof(TEpilogue).FullName, a =>
                a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, int, TEpilogue>(FinishKernel));
            finish(new Index1D(rows * ((cols + 3) / 4)), view, cols, epilogue);
        }
    }

    /// <summary>Thread i = row·⌈cols/4⌉ + c4: out(row, 4·c4 .. +3) = epilogue(ws[row·cols + 4·c4 ..]).</summary>
    internal static void FinishKernel<TEpilogue>(Index1D index, ArrayView<int> ws, int cols, TEpilogue epilogue)
        where TEpilogue : struct, IGemmEpilogue
    {
        int groups = (cols + 3) / 4;
        int row = index.X / groups;
        int col = (index.X - (row * groups)) * 4;
        long i = ((long)row * cols) + col;
        if (col + 3 < cols)
        {
            epilogue.Apply4(row, col, ws[i], ws[i + 1], ws[i + 2], ws[i + 3]);
            return;
        }

        for (int j = 0; col + j < cols; j++)
        {
            epilogue.Apply(row, col + j, ws[i + j]);
        }
    }

    private sealed class Workspace
    {
        private MemoryBuffer1D<int, Stride1D.Dense>? _buffer;

        public ArrayView<int> Get(Int8Device device, long length)
        {
            if (_buffer is null || _buffer.Length < length)
            {
                if (_buffer is not null)
                {
                    // Earlier launches may still read the old buffer.
                    device.Synchronize();
                    _buffer.Dispose();
                }

                _buffer = device.Accelerator.Allocate1D<int>(Math.Max(length, 1 << 16));
                device.NoteBufferReallocated();
            }

            return _buffer.View.SubView(0, length);
        }
    }
}
