using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ILGPUInt8.Kernels.Cpu;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Layers.Runtime;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Layers.Operators;

/// <summary>Activation on the CPU backend: INT8 the exact 256-entry table from s_in to s_out; FP32 f(x) (ReLU vectorised).</summary>
internal sealed unsafe class HostActivationStep : HostStep
{
    private readonly sbyte[]? _lut;

    public HostActivationStep(Engine engine, PlanNode node)
        : base(engine, node)
    {
        if (node.Int8)
        {
            _lut = Int8Parameters.ActivationTable(Plan, ((ActivationLayer)node.Layer).Activation, Input().Scale, Output.Scale);
        }
    }

    public override void Run(ExecutionContext context, int batch)
    {
        long count = Elements(Output, batch);
        if (_lut is { } lut)
        {
            var table = new TableRanges { X = context.Pointer<sbyte>(Input(), batch), Y = context.Pointer<sbyte>(Output, batch), Lut = lut };
            ForRanges(count, 65536, ref table);
            return;
        }

        var body = new FloatRanges { X = context.Pointer<float>(Input(), batch), Y = context.Pointer<float>(Output, batch), Act = ((ActivationLayer)Node.Layer).Activation };
        ForRanges(count, 32768, ref body);
    }

    internal struct TableRanges : ICpuRangeBody
    {
        public sbyte* X, Y;
        public sbyte[] Lut;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Run(long i0, long i1)
        {
            for (var i = i0; i < i1; i++)
            {
                Y[i] = Lut[X[i] + 128];
            }
        }
    }

    private struct FloatRanges : ICpuRangeBody
    {
        public float* X, Y;
        public ActivationSpec Act;

        public readonly void Run(long i0, long i1) => Apply(X, Y, i0, i1, Act);
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
