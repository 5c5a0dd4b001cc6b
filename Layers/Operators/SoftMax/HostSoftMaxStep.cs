using System.Runtime.CompilerServices;
using ILGPUInt8.Kernels.Cpu;
using ILGPUInt8.Kernels.IntegerOnly;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Layers.Runtime;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Layers.Operators;

/// <summary>
/// Softmax on the CPU backend (NHWC: a pixel's channels are contiguous). FP32, along any axis seen as [outer, length,
/// inner]: y = exp(x − max) / Σ exp(x − max), exp and sum in double; INT8 input (channels only): e_j = E[q_max − q_j] from
/// the exp table, the sum in float in the lane order of the GPU kernels (<see cref="SoftMax.SumInLaneOrder"/>),
/// y = e_j / sum (float output), as the reference; in an integer-only engine int8 to int8 (<see cref="IntegerSoftMax.Row"/>).
/// </summary>
internal sealed unsafe class HostSoftMaxStep : HostStep
{
    private readonly float[]? _exp;
    private readonly int[]? _integerExp;

    public HostSoftMaxStep(Engine engine, PlanNode node)
        : base(engine, node)
    {
        if (node.Int8 && Output.Type == DataType.Int8)
        {
            _integerExp = IntegerSoftMax.ExpTable(Input().Scale);
        }
        else if (node.Int8)
        {
            _exp = Int8LookupTable.SoftMaxExp(Input().Scale);
        }
    }

    public override void Run(ExecutionContext context, int batch)
    {
        int c = Input().Dims.C;
        long pixels = (long)batch * Input().Dims.Plane;
        if (_integerExp is { } integerExp)
        {
            var rows = new IntegerPixels { X = context.Pointer<sbyte>(Input(), batch), Y = context.Pointer<sbyte>(Output, batch), C = c, Exp = integerExp };
            ForRanges(pixels, 256, ref rows);
            return;
        }

        float* y = context.Pointer<float>(Output, batch);
        if (_exp is { } exp)
        {
            var table = new Int8Pixels { X = context.Pointer<sbyte>(Input(), batch), Y = y, C = c, Exp = exp };
            ForRanges(pixels, 256, ref table);
            return;
        }

        // FP32 along any axis: [outer, length, inner] (channels: inner = 1), one (o, i) pair a task, values at stride inner.
        var (outer, length, inner) = Input().Dims.Nhwc(((SoftMaxLayer)Node.Layer).Axis, batch);
        var body = new FloatLines { X = context.Pointer<float>(Input(), batch), Y = y, Length = length, Inner = inner };
        ForRanges((long)outer * inner, 256, ref body);
    }

    private struct Int8Pixels : ICpuRangeBody
    {
        public sbyte* X;
        public float* Y;
        public int C;
        public float[] Exp;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Run(long p0, long p1)
        {
            int c = C;
            var e = CpuScratch<float>.First(c).AsSpan(0, c);
            int lanes = SoftMax.LanesPerRow(c);
            for (var p = p0; p < p1; p++)
            {
                sbyte* x = X + (p * c);
                float* o = Y + (p * c);
                int max = -128;
                for (var j = 0; j < c; j++)
                {
                    max = Math.Max(max, x[j]);
                }

                for (var j = 0; j < c; j++)
                {
                    e[j] = Exp[max - x[j]];
                }

                var sum = SoftMax.SumInLaneOrder(e, lanes);
                for (var j = 0; j < c; j++)
                {
                    o[j] = e[j] / sum;
                }
            }
        }
    }

    private struct IntegerPixels : ICpuRangeBody
    {
        public sbyte* X, Y;
        public int C;
        public int[] Exp;

        public readonly void Run(long p0, long p1)
        {
            for (var p = p0; p < p1; p++)
            {
                IntegerSoftMax.Row(new ReadOnlySpan<sbyte>(X + (p * C), C), new Span<sbyte>(Y + (p * C), C), Exp);
            }
        }
    }

    private struct FloatLines : ICpuRangeBody
    {
        public float* X, Y;
        public int Length, Inner;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Run(long p0, long p1)
        {
            int length = Length, inner = Inner;
            for (var p = p0; p < p1; p++)
            {
                long start = (p / inner * length * inner) + (p % inner);
                float* x = X + start, o = Y + start;
                var max = float.NegativeInfinity;
                for (var j = 0; j < length; j++)
                {
                    max = Math.Max(max, x[j * inner]);
                }

                double sum = 0;
                for (var j = 0; j < length; j++)
                {
                    sum += Math.Exp(x[j * inner] - max);
                }

                for (var j = 0; j < length; j++)
                {
                    o[j * inner] = (float)(Math.Exp(x[j * inner] - max) / sum);
                }
            }
        }
    }
}
