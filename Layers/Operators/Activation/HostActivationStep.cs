using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ILGPUInt8.Kernels.Ops;

namespace ILGPUInt8.Layers;

/// <summary>Activation on the CPU backend: INT8 the exact 256-entry table from s_in to s_out; FP32 f(x) (ReLU vectorised).</summary>
internal sealed unsafe class HostActivationStep : HostStep
{
    private readonly sbyte[]? _lut;

    public HostActivationStep(Engine engine, PlanNode node)
        : base(engine, node)
    {
        if (node.Int8)
        {
            _lut = Int8LookupTable.ForActivation(((ActivationLayer)node.Layer).Activation, Input().Scale, Output.Scale);
        }
    }

    public override void Run(ExecutionContext context, int batch)
    {
        long count = Elements(Output, batch);
        if (_lut is { } lut)
        {
            nint x = (nint)context.Pointer<sbyte>(Input(), batch), y = (nint)context.Pointer<sbyte>(Output, batch);
            ForRanges(count, 65536, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (i0, i1) =>
            {
                for (var i = i0; i < i1; i++)
                {
                    ((sbyte*)y)[i] = lut[((sbyte*)x)[i] + 128];
                }
            });
            return;
        }

        var act = ((ActivationLayer)Node.Layer).Activation;
        nint xf = (nint)context.Pointer<float>(Input(), batch), yf = (nint)context.Pointer<float>(Output, batch);
        ForRanges(count, 32768, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (i0, i1) => Apply((float*)xf, (float*)yf, i0, i1, act));
    }

    /// <summary>y[i] = act(x[i]) for i in [i0, i1) (ReLU as max(x, 0) 8 lanes at a time).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Apply(float* x, float* y, long i0, long i1, ActivationSpec act)
    {
        var i = i0;
        if (act.Kind == ActivationKind.Relu)
        {
            for (; i + 8 <= i1; i += 8)
            {
                Vector256.Max(Vector256.Load(x + i), Vector256<float>.Zero).Store(y + i);
            }
        }

        for (; i < i1; i++)
        {
            y[i] = act.Apply(x[i]);
        }
    }
}
