using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Cpu;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Training;

/// <summary>
/// Where the float GEMMs of training run: <see cref="Host"/>, the CPU SGEMM (<see cref="Gemm"/>), or an ILGPU accelerator
/// (<see cref="GemmF32Fma"/> on CUDA, or on the CPU accelerator in tests). Both sum every output from +0 in t order with
/// fused multiply-adds and add the bias once, so a network trains to bit-identical weights and losses on either
/// (deterministic for a seed whatever the device). On an accelerator the operands go through device buffers kept between
/// calls (grown as needed) and are read in place through layouts: transposes and im2col rows are never built (the kernel
/// reads the NHWC input at each tap).
/// </summary>
public sealed class TrainingDevice : IDisposable
{
    private MemoryBuffer1D<float, Stride1D.Dense>? _a, _b, _bias, _c;

    private TrainingDevice(Int8Device? accelerator) => Accelerator = accelerator;

    /// <summary>The CPU SGEMM (no accelerator), shared; disposing it does nothing.</summary>
    public static TrainingDevice Host { get; } = new(null);

    /// <summary>The ILGPU device the GEMMs run on, or null for <see cref="Host"/>.</summary>
    public Int8Device? Accelerator { get; }

    /// <summary>What runs the GEMMs, for progress lines: "CPU (SGEMM, N threads)" or "CUDA sm_X.Y (name)".</summary>
    public string Description => Accelerator is null
        ? $"CPU (SGEMM, {CpuThreads.Max} threads)"
        : Accelerator.IsCuda ? $"CUDA sm_{Accelerator.ComputeCapability} ({Accelerator.Accelerator.Name})" : $"ILGPU CPU accelerator ({Accelerator.Accelerator.Name})";

    /// <summary>
    /// The device of a kind: <see cref="DeviceKind.Cpu"/> the host SGEMM; <see cref="DeviceKind.Cuda"/> the shared CUDA
    /// device (<c>ILGPUINT8_DEVICE=cuda:N</c> picks the N-th; throws without one); <see cref="DeviceKind.Auto"/> CUDA when
    /// the library would pick it (a device found, <c>ILGPUINT8_DEVICE</c> not cpu), else the host. Dispose it when done.
    /// </summary>
    public static TrainingDevice Open(DeviceKind kind) =>
        Int8Device.Resolve(kind) == DeviceKind.Cuda ? new TrainingDevice(Int8Device.Shared(DeviceKind.Cuda)) : Host;

    /// <summary>The GEMMs on <paramref name="device"/> (any accelerator; the CPU accelerator is slow, for tests).</summary>
    public static TrainingDevice On(Int8Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return new TrainingDevice(device);
    }

    /// <summary>C [m × n] = A [m × t] · Bᵀ (B is [n × t]), as <see cref="Gemm.MultiplyTransposed"/>.</summary>
    public void MultiplyTransposed(ReadOnlySpan<float> a, int m, int t, ReadOnlySpan<float> b, int n, Span<float> c)
    {
        Check(a.Length, (long)m * t, b.Length, (long)n * t, c.Length, (long)m * n);
        if (Accelerator is null)
        {
            Gemm.MultiplyTransposed(a, m, t, b, n, c);
            return;
        }

        Launch(a[..(m * t)], new RowMajorF32(m, t, t), b[..(n * t)], new RowMajorF32(n, t, t), [], new GemmProblem(m, n, t), c);
    }

    /// <summary>C [m × n] = Aᵀ · B for A [t × m] and B [t × n] (a weight gradient: t runs over the batch).</summary>
    internal void MultiplyTransposedA(float[] a, int t, int m, float[] b, int n, float[] c)
    {
        Check(a.Length, (long)m * t, b.Length, (long)n * t, c.Length, (long)m * n);
        if (Accelerator is null)
        {
            Gemm.MultiplyTransposed(Gemm.Transpose(a, t, m), m, t, Gemm.Transpose(b, t, n), n, c);
            return;
        }

        Launch(a, new ColumnMajorF32(m, t, m), b, new ColumnMajorF32(n, t, n), [], new GemmProblem(m, n, t), c);
    }

    /// <summary>C [m × n] = A [m × t] · B [t × n] (a data gradient through a fully connected layer).</summary>
    internal void Multiply(float[] a, int m, int t, float[] b, int n, float[] c)
    {
        Check(a.Length, (long)m * t, b.Length, (long)n * t, c.Length, (long)m * n);
        if (Accelerator is null)
        {
            Gemm.MultiplyTransposed(a, m, t, Gemm.Transpose(b, t, n), n, c);
            return;
        }

        Launch(a, new RowMajorF32(m, t, t), b, new ColumnMajorF32(n, t, n), [], new GemmProblem(m, n, t), c);
    }

    /// <summary>
    /// y NHWC [N, P, Q, K] = conv(x, krsc) + bias (bias empty: none) for <paramref name="problem"/> (its N the batch, one
    /// group), as <see cref="CpuConvF32"/> computes it: on a device the im2col rows are read from x, never stored.
    /// </summary>
    internal unsafe void Convolve(float[] x, ConvProblem problem, float[] krsc, float[] bias, float[] y)
    {
        int taps = problem.R * problem.S * problem.C, m = problem.N * problem.P * problem.Q;
        if (Accelerator is null)
        {
            var kernel = new CpuConvF32(krsc, bias, problem with { N = 1 }, Kernels.Ops.ActivationSpec.None);
            fixed (float* px = x)
            fixed (float* py = y)
            {
                kernel.Forward(px, problem.N, py);
            }

            return;
        }

        Launch(x, new Im2ColF32(ConvGeometry.From(problem)), krsc, new RowMajorF32(problem.K, taps, taps), bias, new GemmProblem(m, problem.K, taps), y);
    }

    /// <summary>dW KRSC [K × R·S·C] = dyᵀ · col: Σ over the N·P·Q output pixels m of dy[m][k] · im2col(x)[m][j].</summary>
    internal void ConvolveWeightGradient(float[] dy, float[] x, ConvProblem problem, float[] dwKrsc)
    {
        int taps = problem.R * problem.S * problem.C, m = problem.N * problem.P * problem.Q;
        if (Accelerator is null)
        {
            var col = new float[(long)m * taps];
            CpuIm2Col.Rows<float>(x, problem, 0, 0, m, col, taps);
            MultiplyTransposedA(dy, m, problem.K, col, taps, dwKrsc);
            return;
        }

        Launch(dy, new ColumnMajorF32(problem.K, m, problem.K), x, new Im2ColTransposedF32(ConvGeometry.From(problem)), [], new GemmProblem(problem.K, taps, m), dwKrsc);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var buffer in new[] { _a, _b, _bias, _c })
        {
            buffer?.Dispose();
        }

        (_a, _b, _bias, _c) = (null, null, null, null);
    }

    private static void Check(int a, long needA, int b, long needB, int c, long needC)
    {
        if (a < needA || b < needB || c < needC)
        {
            throw new ArgumentException($"GEMM operands of {a}, {b} and {c} values; the sizes need {needA}, {needB} and {needC}.");
        }
    }

    // C = A · Bᵀ + bias on the accelerator: the operands and bias copied to the kept buffers, GemmF32Fma, C copied back.
    private void Launch<TA, TB>(ReadOnlySpan<float> a, TA opA, ReadOnlySpan<float> b, TB opB, ReadOnlySpan<float> bias, GemmProblem problem, Span<float> c)
        where TA : struct, IF32Operand
        where TB : struct, IF32Operand
    {
        var device = Accelerator!;
        ObjectDisposedException.ThrowIf(device.Accelerator.IsDisposed, this);
        int outputs = problem.M * problem.N;
        var va = Upload(ref _a, a);
        var vb = Upload(ref _b, b);
        var vbias = bias.IsEmpty ? default : Upload(ref _bias, bias);
        var vc = Buffer(ref _c, outputs);
        using (device.LaunchGate.Launching())
        {
            GemmF32Fma.Run(device, va, vb, vbias, vc, problem, opA, opB);
        }

        device.Synchronize();
        using (device.LaunchGate.Launching())
        {
            vc.CopyToCPU(ref MemoryMarshal.GetReference(c), outputs);
        }
    }

    private ArrayView<float> Upload(ref MemoryBuffer1D<float, Stride1D.Dense>? buffer, ReadOnlySpan<float> values)
    {
        var view = Buffer(ref buffer, values.Length);
        using (Accelerator!.LaunchGate.Launching())
        {
            view.CopyFromCPU(ref MemoryMarshal.GetReference(values), values.Length);
        }

        return view;
    }

    // A view of `length` floats of a buffer kept between calls, reallocated (by half again) when too small.
    private ArrayView<float> Buffer(ref MemoryBuffer1D<float, Stride1D.Dense>? buffer, long length)
    {
        if (buffer is null || buffer.Length < length)
        {
            buffer?.Dispose();
            buffer = Accelerator!.Accelerator.Allocate1D<float>(Math.Max(length, (buffer?.Length ?? 0) * 3 / 2));
        }

        return buffer.View.SubView(0, length);
    }
}
