using System.Runtime.CompilerServices;
using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Cpu;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Layers.Runtime;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Layers.Operators;

/// <summary>
/// Transposed convolution on the CPU backend as a GEMM and a col2im: per group, cols[n,h,w][(k·R + r)·S + s] =
/// Σ_c x[n,h,w,g·Cg + c] · w[k][r][s][c] (the 1×1 grouped convolution whose K·R·S output channels are the KRSC weight
/// rows), then y[n, h·sh − ph + r·dh, w·sw − pw + s·dw, k] += cols (batch items in parallel, so no two threads add into
/// one output; columns and accumulators in the context's scratch memory). INT8 sums wrap in int32 like the reference's (any order gives the same bits), then the requantize
/// epilogue; FP32 then adds bias and applies the activation.
/// </summary>
internal sealed unsafe class HostDeconvolutionStep : HostStep
{
    private readonly DeconvolutionLayer _layer;
    private readonly CpuConvS8? _int8;
    private readonly CpuConvF32? _fp32;
    private readonly Int8Parameters? _parameters;
    private readonly float[] _bias;
    private readonly PerBatch<DeconvProblem> _problems;

    public HostDeconvolutionStep(Engine engine, PlanNode node)
        : base(engine, node)
    {
        _layer = (DeconvolutionLayer)node.Layer;
        var p = _layer.Problem(1, Input().Dims);
        var dims = Input().Dims;
        _problems = new PerBatch<DeconvProblem>(n => _layer.Problem(n, dims));
        var krsc = WeightLayout.DeconvCkrsToKrsc<float>(_layer.WeightArray, p.C, p.K, p.Groups, p.R, p.S);
        var gemm = new ConvProblem(1, p.C, p.H, p.W, p.K * p.R * p.S, 1, 1, Groups: p.Groups);
        _bias = _layer.BiasArray ?? new float[p.K];
        if (!node.Int8)
        {
            _fp32 = new CpuConvF32(krsc, [], gemm, ActivationSpec.None);
            return;
        }

        _parameters = Int8Parameters.ForNode(Plan, node, krsc, p.K, p.R * p.S * p.CPerGroup, _layer.BiasArray);
        _int8 = new CpuConvS8(_parameters.Weights, gemm, engine.HostIsa);
    }

    public override void Run(ExecutionContext context, int batch)
    {
        var p = _problems[batch];
        int columns = p.K * p.R * p.S;
        long pixels = (long)p.N * p.H * p.W, outputs = (long)p.N * p.OutH * p.OutW * p.K;
        if (_int8 is not null)
        {
            // Work memory of this context: the GEMM's int32 columns, then the int32 output accumulators (zeroed).
            int* c = ExecutionContext.Pointer(context.Scratch<int>(this, (pixels * columns) + outputs)), a = c + (pixels * columns);
            new Span<int>(a, checked((int)outputs)).Clear();
            _int8.Forward(context.Pointer<sbyte>(Input(), batch), batch, new RawSink(c, columns));
            var scatter = new ScatterItems<int> { Cols = c, Y = a, P = p };
            CpuThreads.For(p.N, pixels * columns, ref scatter);
            var prm = _parameters!;
            var store = new StoreRanges { Acc = a, K = p.K, Sink = prm.Sink(context.Pointer<sbyte>(Output, batch), p.K) };
            ForRanges((long)p.N * p.OutH * p.OutW, 256, ref store);
            return;
        }

        float* fc = ExecutionContext.Pointer(context.Scratch<float>(this, pixels * columns));
        _fp32!.Forward(context.Pointer<float>(Input(), batch), batch, fc);
        float* y = context.Pointer<float>(Output, batch);
        new Span<float>(y, (int)outputs).Clear();
        var fscatter = new ScatterItems<float> { Cols = fc, Y = y, P = p };
        CpuThreads.For(p.N, pixels * columns, ref fscatter);
        var finish = new BiasActivationRanges { Y = y, Bias = _bias, K = p.K, Act = Node.Fused };
        ForRanges(outputs, 65536, ref finish);
    }

    private struct ScatterItems<T> : ICpuForBody
        where T : unmanaged, System.Numerics.IAdditionOperators<T, T, T>
    {
        public T* Cols, Y;
        public DeconvProblem P;

        public readonly void Run(int n) => Scatter(Cols, Y, P, n);
    }

    private struct StoreRanges : ICpuRangeBody
    {
        public int* Acc;
        public int K;
        public CpuRequantizeSink Sink;

        public readonly void Run(long r0, long r1) => Sink.Store(Acc + (r0 * K), K, (int)r0, (int)(r1 - r0), 0, K);
    }

    // y[i] = act(y[i] + bias[i mod K]).
    private struct BiasActivationRanges : ICpuRangeBody
    {
        public float* Y;
        public float[] Bias;
        public int K;
        public ActivationSpec Act;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Run(long i0, long i1)
        {
            for (var i = i0; i < i1; i++)
            {
                Y[i] = Act.Apply(Y[i] + Bias[i % K]);
            }
        }
    }

    // y[n, oh, ow, k] += cols[n, ih, iw][(k·R + r)·S + s] for every tap that lands inside the output.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Scatter<T>(T* cols, T* y, DeconvProblem p, int n)
        where T : unmanaged, System.Numerics.IAdditionOperators<T, T, T>
    {
        int columns = p.K * p.R * p.S;
        for (var ih = 0; ih < p.H; ih++)
        {
            for (var iw = 0; iw < p.W; iw++)
            {
                T* row = cols + ((((long)n * p.H) + ih) * p.W + iw) * columns;
                for (var r = 0; r < p.R; r++)
                {
                    int oh = (ih * p.StrideH) - p.PadH + (r * p.DilationH);
                    if (oh < 0 || oh >= p.OutH)
                    {
                        continue;
                    }

                    for (var s = 0; s < p.S; s++)
                    {
                        int ow = (iw * p.StrideW) - p.PadW + (s * p.DilationW);
                        if (ow < 0 || ow >= p.OutW)
                        {
                            continue;
                        }

                        T* o = y + ((((long)n * p.OutH) + oh) * p.OutW + ow) * p.K;
                        for (var k = 0; k < p.K; k++)
                        {
                            o[k] = unchecked(o[k] + row[(((k * p.R) + r) * p.S) + s]);
                        }
                    }
                }
            }
        }
    }

    /// <summary>Copies accumulator tiles into a row-major int32 matrix.</summary>
    private readonly struct RawSink(int* c, int stride) : ICpuInt8Sink
    {
        private readonly nint _c = (nint)c;

        public void Store(int* acc, int ldc, int m0, int rows, int k0, int count)
        {
            for (var r = 0; r < rows; r++)
            {
                new Span<int>(acc + ((long)r * ldc), count).CopyTo(new Span<int>((int*)_c + ((long)(m0 + r) * stride) + k0, count));
            }
        }
    }
}
