using System.Runtime.CompilerServices;
using ILGPUInt8.Kernels.Cpu;
using ILGPUInt8.Kernels.IntegerOnly;
using ILGPUInt8.Layers.Runtime;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Layers.Operators;

/// <summary>
/// LRN across channels on the CPU backend (NHWC): FP32 y = x / (k + alpha/size · Σ_{window} x_j²)^beta, in double; INT8
/// (integer-only engines) the integer window sum of squares and <see cref="IntegerLrn.Apply"/>.
/// </summary>
internal sealed unsafe class HostLrnStep(Engine engine, PlanNode node) : HostStep(engine, node)
{
    private readonly IntegerLrn.Parameters _integer = node.Int8
        ? ((LrnLayer)node.Layer).IntegerParameters(engine.Plan.Tensors[node.Inputs[0]].Scale, engine.Plan.Tensors[node.Output].Scale)
        : default;

    public override void Run(ExecutionContext context, int batch)
    {
        var l = (LrnLayer)Node.Layer;
        if (Node.Int8)
        {
            var ints = new Int8Ranges { X = context.Pointer<sbyte>(Input(), batch), Y = context.Pointer<sbyte>(Output, batch), C = Input().Dims.C, P = _integer };
            ForRanges((long)batch * Input().Dims.Plane, 256, ref ints);
            return;
        }

        var body = new Ranges
        {
            X = context.Pointer<float>(Input(), batch),
            Y = context.Pointer<float>(Output, batch),
            C = Input().Dims.C,
            Size = l.WindowSize,
            Alpha = l.Alpha,
            Beta = l.Beta,
            K = l.K,
        };
        ForRanges((long)batch * Input().Dims.Plane, 256, ref body);
    }

    private struct Int8Ranges : ICpuRangeBody
    {
        public sbyte* X, Y;
        public int C;
        public IntegerLrn.Parameters P;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Run(long p0, long p1)
        {
            int c = C;
            for (var p = p0; p < p1; p++)
            {
                sbyte* x = X + (p * c), y = Y + (p * c);
                for (var ch = 0; ch < c; ch++)
                {
                    int sum = 0;
                    for (var j = Math.Max(0, ch - P.Before); j <= Math.Min(c - 1, ch + P.After); j++)
                    {
                        sum += x[j] * x[j];
                    }

                    y[ch] = (sbyte)IntegerLrn.Apply(x[ch], sum, P);
                }
            }
        }
    }

    private struct Ranges : ICpuRangeBody
    {
        public float* X, Y;
        public int C, Size;
        public double Alpha, Beta, K;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Run(long p0, long p1)
        {
            int c = C, size = Size, before = (size - 1) / 2, after = size / 2;
            for (var p = p0; p < p1; p++)
            {
                float* x = X + (p * c), y = Y + (p * c);
                for (var ch = 0; ch < c; ch++)
                {
                    double sum = 0;
                    for (var j = Math.Max(0, ch - before); j <= Math.Min(c - 1, ch + after); j++)
                    {
                        double v = x[j];
                        sum += v * v;
                    }

                    y[ch] = (float)(x[ch] / Math.Pow(K + (Alpha / size * sum), Beta));
                }
            }
        }
    }
}
