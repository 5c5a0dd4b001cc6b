using System.Runtime.CompilerServices;

namespace ILGPUInt8.Layers;

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
        TensorDims a = Input().Dims, b = Output.Dims;
        long volume = b.Volume;
        nint xs = (nint)x, ys = (nint)y;
        ForRanges(batch * volume, 65536, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (i0, i1) =>
        {
            for (var i = i0; i < i1; i++)
            {
                long n = i / volume, e = i % volume;
                int c2 = (int)(e % b.C), w2 = (int)(e / b.C % b.W), h2 = (int)(e / b.C / b.W);
                long f = (((long)c2 * b.H) + h2) * b.W + w2;
                long c1 = f / a.Plane, h1 = f / a.W % a.H, w1 = f % a.W;
                ((T*)ys)[i] = ((T*)xs)[(n * volume) + (((h1 * a.W) + w1) * a.C) + c1];
            }
        });
    }
}
