using System.Runtime.CompilerServices;
using ILGPUInt8.Kernels.Cpu;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Runtime;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Layers.Operators;

/// <summary>
/// Reshape / flatten on the CPU backend: nothing for a view, else the NHWC copy with C-order semantics: output (n, c₂, h₂,
/// w₂) reads input (n, f / (H₁W₁), (f / W₁) mod H₁, f mod W₁), f = (c₂·H₂ + h₂)·W₂ + w₂.
/// </summary>
internal sealed unsafe class HostReshapeStep(Engine engine, PlanNode node) : HostStep(engine, node)
{
    public override void Run(ExecutionContext context, int batch)
    {
        if (Node.IsView)
        {
            return;
        }

        if (Node.Int8)
        {
            Copy(context.Pointer<sbyte>(Input(), batch), context.Pointer<sbyte>(Output, batch), batch);
        }
        else
        {
            Copy(context.Pointer<float>(Input(), batch), context.Pointer<float>(Output, batch), batch);
        }
    }

    private void Copy<T>(T* x, T* y, int batch)
        where T : unmanaged
    {
        var body = new Ranges<T> { X = x, Y = y, A = Input().Dims, B = Output.Dims };
        ForRanges(batch * body.B.Volume, 65536, ref body);
    }

    private struct Ranges<T> : ICpuRangeBody
        where T : unmanaged
    {
        public T* X, Y;
        public TensorDims A, B;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Run(long i0, long i1)
        {
            TensorDims a = A, b = B;
            long volume = b.Volume;
            for (var i = i0; i < i1; i++)
            {
                long n = i / volume, e = i % volume;
                int c2 = (int)(e % b.C), w2 = (int)(e / b.C % b.W), h2 = (int)(e / b.C / b.W);
                long f = (((long)c2 * b.H) + h2) * b.W + w2;
                long c1 = f / a.Plane, h1 = f / a.W % a.H, w1 = f % a.W;
                Y[i] = X[(n * volume) + (((h1 * a.W) + w1) * a.C) + c1];
            }
        }
    }
}
