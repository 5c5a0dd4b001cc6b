using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Perf.Harness;
using ConvertOp = ILGPUInt8.Kernels.Ops.Convert;

namespace ILGPUInt8.Perf.Benchmarks;

/// <summary>
/// The small memory-bound kernels at the ends of the ResNet-18 INT8 engine, at batch 256 (batch 2 with <c>--quick</c>):
/// the input conversions of the 256×3×224×224 image (NCHW float → NHWC float and → NHWC int8, and the same-layout
/// quantize of the engine's Convert step), the stem max pool (int8 NHWC 112×112×64 → 56×56×64, 3×3 stride 2 pad 1) and the
/// classifier softmax ([256, 1000], float and int8 input). GB/s of bytes read + written (each input byte counted once)
/// and the ratio to the device copy measured in the same run (the <c>ceilings</c> benchmark runs first when missing).
/// The softmax moves 1-2 MB: its time is mostly the launch, so its ratio is far from 1.
/// </summary>
public sealed class EdgeOpsBenchmark : IBenchmark
{
    /// <inheritdoc />
    public string Name => "edgeops";

    /// <inheritdoc />
    public string Description => "input convert / quantize, int8 max pool, softmax at ResNet-18 b256 shapes vs device copy";

    /// <inheritdoc />
    public void Run(BenchContext context)
    {
        if (!context.Ceilings.ContainsKey(CeilingsBenchmark.Copy))
        {
            new CeilingsBenchmark().Run(context);
        }

        var device = context.Device;
        var acc = device.Accelerator;
        int batch = context.Quick ? 2 : 256;
        double copy = context.Ceilings[CeilingsBenchmark.Copy];

        void Measure(string what, long bytes, Action launch, int inner = 1)
        {
            double ms = context.TimeMedianMs(launch, inner: inner);
            double gbs = bytes / (ms * 1e6);
            context.Add(new BenchResult(Name, $"{what} b{batch}", ms, gbs, "GB/s", gbs / copy, "copy"));
        }

        var image = new TensorShape(batch, 3, 224, 224);
        long pixels = image.Elements;
        using (var f = acc.Allocate1D<float>(pixels))
        using (var g = acc.Allocate1D<float>(pixels))
        using (var q = acc.Allocate1D<sbyte>(pixels))
        {
            var fill = device.GetKernel("perf.edge.fill", x => x.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>>(Fill));
            fill((int)pixels, f.View);
            const float scale = 2.5f / 127;
            Measure("image NCHW f32→NHWC f32", 8 * pixels, () => ConvertOp.Float(device, f.View, TensorFormat.NCHW, g.View, TensorFormat.NHWC, image));
            Measure("image NCHW f32→NHWC s8", 5 * pixels, () => ConvertOp.Quantize(device, f.View, TensorFormat.NCHW, q.View, TensorFormat.NHWC, image, scale));
            Measure("image NHWC f32→NHWC s8", 5 * pixels, () => ConvertOp.Quantize(device, f.View, TensorFormat.NHWC, q.View, TensorFormat.NHWC, image, scale));
        }

        var pool = new PoolProblem(batch, 64, 112, 112, 3, 3, 2, 2, 1, 1);
        long poolIn = (long)pool.N * pool.C * pool.H * pool.W, poolOut = (long)pool.N * pool.C * pool.P * pool.Q;
        using (var x = acc.Allocate1D<sbyte>(poolIn))
        using (var y = acc.Allocate1D<sbyte>(poolOut))
        {
            x.MemSetToZero();
            Measure("maxpool s8 3x3/2 112²×64→56²", poolIn + poolOut, () => Pooling.Int8Max(device, x.View, y.View, pool));
        }

        const int classes = 1000;
        using (var xf = acc.Allocate1D<float>((long)batch * classes))
        using (var xq = acc.Allocate1D<sbyte>((long)batch * classes))
        using (var y = acc.Allocate1D<float>((long)batch * classes))
        using (var table = acc.Allocate1D(Int8LookupTable.SoftMaxExp(0.05f)))
        {
            xf.MemSetToZero();
            xq.MemSetToZero();
            Measure("softmax f32 [b,1000]", 8L * batch * classes, () => SoftMax.Float(device, xf.View, y.View, batch, classes), inner: 10);
            Measure("softmax s8 [b,1000]", 5L * batch * classes, () => SoftMax.Int8(device, xq.View, y.View, table.View, batch, classes), inner: 10);
        }
    }

    /// <summary>x[i] = ((i·7919) mod 2001 − 1000) / 400: values in ±2.5 (the quantizer's range), not constant.</summary>
    internal static void Fill(Index1D i, ArrayView<float> x) => x[i] = (((int)(((long)i.X * 7919) % 2001)) - 1000) / 400f;
}
