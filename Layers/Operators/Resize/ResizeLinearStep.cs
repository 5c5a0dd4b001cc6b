using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Cpu;
using ILGPUInt8.Layers.Runtime;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Layers.Operators;

/// <summary>The taps of a linear resize, one row per output row and column: i0, i1 and the weight of i1.</summary>
internal sealed record ResizeTaps(int[] H0, int[] H1, float[] Lh, int[] W0, int[] W1, float[] Lw)
{
    public static ResizeTaps Of(ResizeLayer l, int inH, int inW)
    {
        var h = Enumerable.Range(0, l.OutH).Select(o => ResizeLayer.LinearTaps(o, inH, l.OutH, l.ScaleH, l.Coordinates)).ToArray();
        var w = Enumerable.Range(0, l.OutW).Select(o => ResizeLayer.LinearTaps(o, inW, l.OutW, l.ScaleW, l.Coordinates)).ToArray();
        return new([.. h.Select(t => t.I0)], [.. h.Select(t => t.I1)], [.. h.Select(t => t.Weight)], [.. w.Select(t => t.I0)], [.. w.Select(t => t.I1)], [.. w.Select(t => t.Weight)]);
    }
}

/// <summary>
/// FP32 bilinear resize on the device (NHWC): thread i is output (n, h, w, c) and computes
/// lerp(lerp(x[h0][w0], x[h0][w1], lw), lerp(x[h1][w0], x[h1][w1], lw), lh) with the taps of row h and column w.
/// </summary>
internal sealed class ResizeLinearStep : Step
{
    private readonly ArrayView<int> _h0, _h1, _w0, _w1;
    private readonly ArrayView<float> _lh, _lw;

    public ResizeLinearStep(Engine engine, PlanNode node)
        : base(engine, node)
    {
        var t = ResizeTaps.Of((ResizeLayer)node.Layer, Input().Dims.H, Input().Dims.W);
        (_h0, _h1, _lh, _w0, _w1, _lw) = (Upload(t.H0), Upload(t.H1), Upload(t.Lh), Upload(t.W0), Upload(t.W1), Upload(t.Lw));
    }

    public override void Run(ExecutionContext context, int batch)
    {
        var d = Input().Dims;
        var o = Output.Dims;
        var y = context.View<float>(Output, batch);
        var kernel = Device.GetKernel("resize.linear.f32", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<float>, Index3D, Index2D>(Kernel));
        kernel((int)y.Length, context.View<float>(Input(), batch), y, _h0, _h1, _lh, _w0, _w1, _lw, new Index3D(d.C, d.H, d.W), new Index2D(o.H, o.W));
    }

    // dims: (C, H, W) of the input; output: (OutH, OutW).
    private static void Kernel(Index1D i, ArrayView<float> x, ArrayView<float> y, ArrayView<int> h0, ArrayView<int> h1, ArrayView<float> lh,
        ArrayView<int> w0, ArrayView<int> w1, ArrayView<float> lw, Index3D dims, Index2D output)
    {
        int c = i % dims.X, rest = i / dims.X;
        int w = rest % output.Y;
        rest /= output.Y;
        int h = rest % output.X, n = rest / output.X;
        long top = (((long)n * dims.Y) + h0[h]) * dims.Z, bottom = (((long)n * dims.Y) + h1[h]) * dims.Z;
        long a = ((long)w0[w] * dims.X) + c, b = ((long)w1[w] * dims.X) + c;
        float upper = ResizeLayer.Lerp(x[(top * dims.X) + a], x[(top * dims.X) + b], lw[w]);
        float lower = ResizeLayer.Lerp(x[(bottom * dims.X) + a], x[(bottom * dims.X) + b], lw[w]);
        y[i] = ResizeLayer.Lerp(upper, lower, lh[h]);
    }
}

/// <summary>FP32 bilinear resize on the CPU backend (NHWC), in ranges of output rows; the same lerps as the device step.</summary>
internal sealed unsafe class HostResizeLinearStep : HostStep
{
    private readonly ResizeTaps _taps;

    public HostResizeLinearStep(Engine engine, PlanNode node)
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
            for (long r = r0; r < r1; r++)
            {
                int n = (int)(r / OutH), h = (int)(r % OutH);
                float* top0 = X + ((((long)n * H) + T.H0[h]) * W * C), bottom0 = X + ((((long)n * H) + T.H1[h]) * W * C);
                float* y = Y + (r * OutW * C);
                for (int w = 0; w < OutW; w++)
                {
                    long a = (long)T.W0[w] * C, b = (long)T.W1[w] * C;
                    for (int c = 0; c < C; c++)
                    {
                        float top = ResizeLayer.Lerp(top0[a + c], top0[b + c], T.Lw[w]);
                        float bottom = ResizeLayer.Lerp(bottom0[a + c], bottom0[b + c], T.Lw[w]);
                        y[((long)w * C) + c] = ResizeLayer.Lerp(top, bottom, T.Lh[h]);
                    }
                }
            }
        }
    }
}
