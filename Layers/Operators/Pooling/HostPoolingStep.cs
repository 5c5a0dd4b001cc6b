using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ILGPUInt8.Kernels.Cpu;
using ILGPUInt8.Kernels.IntegerOnly;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Layers.Runtime;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Layers.Operators;

/// <summary>
/// Pooling on the CPU backend, NHWC, one output pixel's channels at a time (max vectorised over channels): windows as the
/// references' (PyTorch: start = o·stride − pad, end = min(start + window, size + pad), both clipped); FP32 max / average
/// (sum in window order / count); INT8 max (same scale) or average (int32 sum requantized by m[divisor]).
/// </summary>
internal sealed unsafe class HostPoolingStep : HostStep
{
    private readonly PoolingLayer _layer;
    private readonly float[] _multipliers = [];
    private readonly FixedPointChannel[]? _table;
    private readonly PerBatch<PoolProblem> _problems;
    private readonly HostConvolutionStep? _producer;

    public HostPoolingStep(Engine engine, PlanNode node)
        : base(engine, node)
    {
        _layer = (PoolingLayer)node.Layer;
        var dims = Input().Dims;
        _problems = new PerBatch<PoolProblem>(n => _layer.Problem(n, dims));
        if (node.Int8 && _layer.Mode != PoolingMode.Max)
        {
            var p = _layer.Problem(1, Input().Dims);
            _multipliers = Pooling.AverageMultipliers(Input().Scale, Output.Scale, p.R * p.S);
            _table = Plan.IntegerOnly ? Pooling.AverageFixedPoint(Input().Scale, Output.Scale, p.R * p.S) : null;
        }

        // A 2×2/2 INT8 max pool right after a convolution can run inside it (HostConvolutionStep.TryFusePool).
        if (node.Int8 && _layer.Mode == PoolingMode.Max && !_layer.Global
            && engine.Steps.OfType<HostConvolutionStep>().FirstOrDefault(s => s.Node.Output == node.Inputs[0]) is { } conv
            && conv.TryFusePool(node, _layer.Problem(1, dims)))
        {
            _producer = conv;
        }
    }

    public override void Run(ExecutionContext context, int batch)
    {
        if (_producer is { } conv && conv.PoolsIn(context))
        {
            // Written by the convolution step.
            return;
        }

        var p = _problems[batch];
        bool int8 = Node.Int8;
        if (int8 && _layer.Mode == PoolingMode.Max)
        {
            // INT8 max: whole output rows, each pixel's channels max-reduced in registers over its clipped window.
            var rows = new MaxRows { X = context.Pointer<sbyte>(Input(), batch), Y = context.Pointer<sbyte>(Output, batch), P = p };
            ForRanges((long)p.N * p.P, Math.Max(1, 4096 / Math.Max(1, p.Q * p.C)), ref rows);
            return;
        }

        var body = new Pixels
        {
            X = int8 ? context.Pointer<sbyte>(Input(), batch) : context.Pointer<float>(Input(), batch),
            Y = int8 ? context.Pointer<sbyte>(Output, batch) : context.Pointer<float>(Output, batch),
            P = p,
            Mode = _layer.Mode,
            Int8 = int8,
            Multipliers = _multipliers,
            Table = _table,
        };
        ForRanges((long)p.N * p.P * p.Q, 256, ref body);
    }

    /// <summary>
    /// INT8 max pooling over output rows [r0, r1) of (n, oh): y[n, oh, ow, c] = max over the window clipped to the image
    /// (start = o·stride − pad, end = min(start + window, size + pad), both clipped to [0, size)), as <see cref="Int8"/>.
    /// </summary>
    private struct MaxRows : ICpuRangeBody
    {
        public sbyte* X, Y;
        public PoolProblem P;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Run(long r0, long r1)
        {
            var p = P;

            // Locals: P and Q are computed properties (a division each), the loop must not re-evaluate them.
            int c = p.C, outH = p.P, outW = p.Q, width = p.W, strideW = p.StrideW, padW = p.PadW, windowW = p.S, endW = p.W + p.PadRight;
            long rowBytes = (long)width * c;
            for (var row = r0; row < r1; row++)
            {
                int n = (int)(row / outH), oh = (int)(row % outH);
                int hs = (oh * p.StrideH) - p.PadH, he = Math.Min(hs + p.R, p.H + p.PadBottom);
                int h0 = Math.Max(hs, 0), h1 = Math.Min(he, p.H);
                sbyte* image = X + ((long)n * p.H * rowBytes);
                sbyte* y = Y + (row * outW * c);
                for (var ow = 0; ow < outW; ow++, y += c)
                {
                    int ws = (ow * strideW) - padW, we = Math.Min(ws + windowW, endW);
                    int w0 = Math.Max(ws, 0), w1 = Math.Min(we, width);
                    if (h0 >= h1 || w0 >= w1)
                    {
                        new Span<sbyte>(y, c).Fill(sbyte.MinValue);
                        continue;
                    }

                    sbyte* first = image + (h0 * rowBytes) + ((long)w0 * c);
                    int j = 0;
                    if (h1 - h0 == 2 && w1 - w0 == 2)
                    {
                        // A whole 2×2 window (the common 2×2/2 pooling): four loads a channel vector, no loops.
                        sbyte* below = first + rowBytes;
                        for (; j + 32 <= c; j += 32)
                        {
                            Vector256.Max(Vector256.Max(Vector256.Load(first + j), Vector256.Load(first + c + j)), Vector256.Max(Vector256.Load(below + j), Vector256.Load(below + c + j))).Store(y + j);
                        }

                        for (; j + 16 <= c; j += 16)
                        {
                            Vector128.Max(Vector128.Max(Vector128.Load(first + j), Vector128.Load(first + c + j)), Vector128.Max(Vector128.Load(below + j), Vector128.Load(below + c + j))).Store(y + j);
                        }
                    }

                    for (; j + 32 <= c; j += 32)
                    {
                        var m = Vector256.Load(first + j);
                        for (var h = h0; h < h1; h++)
                        {
                            sbyte* src = image + (h * rowBytes) + j;
                            for (var w = h == h0 ? w0 + 1 : w0; w < w1; w++)
                            {
                                m = Vector256.Max(m, Vector256.Load(src + ((long)w * c)));
                            }
                        }

                        m.Store(y + j);
                    }

                    for (; j + 16 <= c; j += 16)
                    {
                        var m = Vector128.Load(first + j);
                        for (var h = h0; h < h1; h++)
                        {
                            sbyte* src = image + (h * rowBytes) + j;
                            for (var w = h == h0 ? w0 + 1 : w0; w < w1; w++)
                            {
                                m = Vector128.Max(m, Vector128.Load(src + ((long)w * c)));
                            }
                        }

                        m.Store(y + j);
                    }

                    for (; j < c; j++)
                    {
                        sbyte m = first[j];
                        for (var h = h0; h < h1; h++)
                        {
                            for (var w = h == h0 ? w0 + 1 : w0; w < w1; w++)
                            {
                                m = Math.Max(m, image[(h * rowBytes) + ((long)w * c) + j]);
                            }
                        }

                        y[j] = m;
                    }
                }
            }
        }
    }

    /// <summary>Output pixels [o0, o1), sums in the thread's scratch arrays.</summary>
    private struct Pixels : ICpuRangeBody
    {
        public void* X, Y;
        public PoolProblem P;
        public PoolingMode Mode;
        public bool Int8;
        public float[] Multipliers;
        public FixedPointChannel[]? Table;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Run(long o0, long o1)
        {
            var p = P;
            var mode = Mode;
            int c = p.C;
            var sums = CpuScratch<float>.First(c);
            var isums = CpuScratch<int>.First(c);
            int outH = p.P, outW = p.Q;
            for (var o = o0; o < o1; o++)
            {
                int n = (int)(o / (outH * outW)), oh = (int)(o / outW % outH), ow = (int)(o % outW);
                int hs = (oh * p.StrideH) - p.PadH, ws = (ow * p.StrideW) - p.PadW;
                int he = Math.Min(hs + p.R, p.H + p.PadBottom), we = Math.Min(ws + p.S, p.W + p.PadRight);
                int padded = (he - hs) * (we - ws);
                int h0 = Math.Max(hs, 0), h1 = Math.Min(he, p.H), w0 = Math.Max(ws, 0), w1 = Math.Min(we, p.W);
                int valid = (h1 - h0) * (w1 - w0);
                long inBase = (long)n * p.H * p.W;
                int divisor = mode == PoolingMode.AverageCountPadding ? padded : valid;
                if (Int8)
                {
                    HostPoolingStep.Int8((sbyte*)X, (sbyte*)Y + (o * c), c, inBase, p.W, h0, h1, w0, w1, mode, divisor, isums, Multipliers, Table);
                }
                else
                {
                    Float((float*)X, (float*)Y + (o * c), c, inBase, p.W, h0, h1, w0, w1, mode, divisor, sums);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Float(float* x, float* y, int c, long inBase, int width, int h0, int h1, int w0, int w1, PoolingMode mode, int divisor, float[] sums)
    {
        if (mode == PoolingMode.Max)
        {
            new Span<float>(y, c).Fill(float.NegativeInfinity);
            for (var h = h0; h < h1; h++)
            {
                for (var w = w0; w < w1; w++)
                {
                    float* src = x + ((inBase + ((long)h * width) + w) * c);
                    int j = 0;
                    for (; j + 8 <= c; j += 8)
                    {
                        var v = Vector256.Load(src + j);
                        var m = Vector256.Load(y + j);
                        Vector256.ConditionalSelect(Vector256.GreaterThan(v, m), v, m).Store(y + j);
                    }

                    for (; j < c; j++)
                    {
                        y[j] = src[j] > y[j] ? src[j] : y[j];
                    }
                }
            }

            return;
        }

        Array.Clear(sums, 0, c);
        for (var h = h0; h < h1; h++)
        {
            for (var w = w0; w < w1; w++)
            {
                float* src = x + ((inBase + ((long)h * width) + w) * c);
                for (var j = 0; j < c; j++)
                {
                    sums[j] += src[j];
                }
            }
        }

        for (var j = 0; j < c; j++)
        {
            y[j] = sums[j] / divisor;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Int8(sbyte* x, sbyte* y, int c, long inBase, int width, int h0, int h1, int w0, int w1, PoolingMode mode, int divisor, int[] sums, float[] multipliers, FixedPointChannel[]? table)
    {
        if (mode == PoolingMode.Max)
        {
            new Span<sbyte>(y, c).Fill(sbyte.MinValue);
            for (var h = h0; h < h1; h++)
            {
                for (var w = w0; w < w1; w++)
                {
                    sbyte* src = x + ((inBase + ((long)h * width) + w) * c);
                    int j = 0;
                    for (; j + 32 <= c; j += 32)
                    {
                        Vector256.Max(Vector256.Load(src + j), Vector256.Load(y + j)).Store(y + j);
                    }

                    for (; j + 16 <= c; j += 16)
                    {
                        Vector128.Max(Vector128.Load(src + j), Vector128.Load(y + j)).Store(y + j);
                    }

                    for (; j < c; j++)
                    {
                        y[j] = Math.Max(src[j], y[j]);
                    }
                }
            }

            return;
        }

        Array.Clear(sums, 0, c);
        for (var h = h0; h < h1; h++)
        {
            for (var w = w0; w < w1; w++)
            {
                sbyte* src = x + ((inBase + ((long)h * width) + w) * c);
                for (var j = 0; j < c; j++)
                {
                    sums[j] += src[j];
                }
            }
        }

        if (table is not null)
        {
            var rescale = table[divisor];
            for (var j = 0; j < c; j++)
            {
                y[j] = (sbyte)IntegerRescale.Apply(sums[j], rescale, -127);
            }

            return;
        }

        float m = multipliers[divisor];
        for (var j = 0; j < c; j++)
        {
            y[j] = (sbyte)QuantMath.Requantize(sums[j], 0, m, -127);
        }
    }
}
