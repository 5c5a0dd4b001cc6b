using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Cpu;
using ILGPUInt8.Layers.Runtime;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Layers.Operators;

/// <summary>
/// FP32 interpolating resize on the device (NHWC): linear, cubic, and nearest with tf_crop_and_resize. Thread i is output
/// (n, h, w, c) and computes <see cref="ResizeTaps.Sample"/>: Σ_a wh[a] · (Σ_b ww[b] · x[h_a][w_b]) over the K taps of row
/// h and column w, or the extrapolation value when either is outside the crop (tap index −1).
/// </summary>
internal sealed class ResizeInterpolateStep : Step
{
    private readonly ArrayView<int> _h, _w;
    private readonly ArrayView<float> _wh, _ww;
    private readonly int _k;
    private readonly float _extrapolation;

    public ResizeInterpolateStep(Engine engine, PlanNode node)
        : base(engine, node)
    {
        var t = ResizeTaps.Of((ResizeLayer)node.Layer, Input().Dims.H, Input().Dims.W);
        (_h, _wh, _w, _ww, _k, _extrapolation) = (Upload(t.H), Upload(t.Wh), Upload(t.W), Upload(t.Ww), t.K, t.Extrapolation);
    }

    public override void Run(ExecutionContext context, int batch)
    {
        var d = Input().Dims;
        var o = Output.Dims;
        var y = context.View<float>(Output, batch);
        var kernel = Device.GetKernel("resize.interpolate.f32", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<int>, ArrayView<float>, Index3D, Index3D, float>(Kernel));
        kernel((int)y.Length, context.View<float>(Input(), batch), y, _h, _wh, _w, _ww, new Index3D(d.C, d.H, d.W), new Index3D(o.H, o.W, _k), _extrapolation);
    }

    // dims: (C, H, W) of the input; output: (OutH, OutW, K).
    private static void Kernel(Index1D i, ArrayView<float> x, ArrayView<float> y, ArrayView<int> hi, ArrayView<float> wh,
        ArrayView<int> wi, ArrayView<float> ww, Index3D dims, Index3D output, float extrapolation)
    {
        int c = i % dims.X, rest = i / dims.X;
        int w = rest % output.Y;
        rest /= output.Y;
        int h = rest % output.X, n = rest / output.X;
        int k = output.Z, hb = h * k, wb = w * k;
        if (hi[hb] < 0 || wi[wb] < 0)
        {
            y[i] = extrapolation;
            return;
        }

        float acc = 0f;
        for (int a = 0; a < k; a++)
        {
            long row = (((long)n * dims.Y) + hi[hb + a]) * dims.Z;
            float sum = 0f;
            for (int b = 0; b < k; b++)
            {
                sum += ww[wb + b] * x[((row + wi[wb + b]) * dims.X) + c];
            }

            acc += wh[hb + a] * sum;
        }

        y[i] = acc;
    }
}

/// <summary>FP32 interpolating resize on the CPU backend (NHWC), in ranges of output rows; <see cref="ResizeTaps.Sample"/> as the device step.</summary>
internal sealed unsafe class HostResizeInterpolateStep : HostStep
{
    private readonly ResizeTaps _taps;

    public HostResizeInterpolateStep(Engine engine, PlanNode node)
        : base(engine, node) => _taps = ResizeTaps.Of((ResizeLayer)node.Layer, Input().Dims.H, Input().Dims.W);

    public override void Run(ExecutionContext context, int batch)
    {
        var d = Input().Dims;
        var body = new Rows { X = context.Pointer<float>(Input(), batch), Y = context.Pointer<float>(Output, batch), T = _taps, C = d.C, H = d.H, W = d.W, OutH = Output.Dims.H, OutW = Output.Dims.W };
        ForRanges((long)batch * body.OutH, 8, ref body);
    }

    private struct Rows : ICpuRangeBody
    {
        public float* X, Y;
        public ResizeTaps T;
        public int C, H, W, OutH, OutW;

        public readonly void Run(long r0, long r1)
        {
            int item = H * W * C;
            for (long r = r0; r < r1; r++)
            {
                int n = (int)(r / OutH), h = (int)(r % OutH);
                float* y = Y + (r * OutW * C);
                for (int w = 0; w < OutW; w++)
                {
                    for (int c = 0; c < C; c++)
                    {
                        y[((long)w * C) + c] = T.Sample(new ReadOnlySpan<float>(X + ((long)n * item) + c, item - c), (long)W * C, C, h, w);
                    }
                }
            }
        }
    }
}
