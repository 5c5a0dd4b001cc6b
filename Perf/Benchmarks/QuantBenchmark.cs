using ILGPU.Runtime;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Perf.Harness;

namespace ILGPUInt8.Perf.Benchmarks;

/// <summary>
/// Quantize, dequantize and requantize (float and fixed-point) on 1 GiB of the larger element type:
/// GB/s of bytes read + written, and the ratio to the copy bandwidth measured in the same run.
/// </summary>
public sealed class QuantBenchmark : IBenchmark
{
    /// <inheritdoc />
    public string Name => "quant";

    /// <inheritdoc />
    public string Description => "quantize / dequantize / requantize bandwidth vs device copy (1 GiB)";

    /// <inheritdoc />
    public void Run(BenchContext context)
    {
        if (!context.Ceilings.ContainsKey(CeilingsBenchmark.Copy))
        {
            new CeilingsBenchmark().Run(context);
        }

        var device = context.Device;
        var acc = device.Accelerator;
        int n = context.Quick ? 1 << 16 : 1 << 28; // 2^28 floats = 1 GiB
        const int channels = 64;
        using var f = acc.Allocate1D<float>(n);
        using var q = acc.Allocate1D<sbyte>(n);
        using var a = acc.Allocate1D<int>(n);
        f.MemSetToZero();
        q.MemSetToZero();
        a.MemSetToZero();
        using var scales = acc.Allocate1D(Enumerable.Range(0, channels).Select(c => 0.01f + (c * 0.001f)).ToArray()); // (reciprocals for quantize: the values do not change the timing)
        using var bias = acc.Allocate1D(new int[channels]);
        var fixedPoint = Enumerable.Range(0, channels).Select(c => FixedPointMultiplier.FromDouble(0.001 + (c * 0.0001))).ToArray();
        using var mq = acc.Allocate1D(fixedPoint.Select(p => p.Multiplier).ToArray());
        using var me = acc.Allocate1D(fixedPoint.Select(p => p.Shift).ToArray());
        var perChannel = new PerChannelIndex(channels, 1);
        double copy = context.Ceilings[CeilingsBenchmark.Copy];

        void Measure(string what, long bytes, Action launch)
        {
            double ms = context.TimeMedianMs(launch);
            double gbs = bytes / (ms * 1e6);
            context.Add(new BenchResult(Name, what, ms, gbs, "GB/s", gbs / copy, "copy"));
        }

        Measure("quantize f32→s8 per-tensor", 5L * n, () => Quantizer.Launch(device, f.View, q.View, scales.View, PerChannelIndex.PerTensor));
        Measure("quantize f32→s8 per-channel", 5L * n, () => Quantizer.Launch(device, f.View, q.View, scales.View, perChannel));
        Measure("dequantize s8→f32 per-tensor", 5L * n, () => Dequantizer.Launch(device, q.View, f.View, scales.View, PerChannelIndex.PerTensor));
        Measure("requantize s32→s8 float mult", 5L * n, () => Requantizer.Launch(device, a.View, q.View, new FloatRequantize(bias.View, scales.View, 0), perChannel));
        Measure("requantize s32→s8 fixed-point", 5L * n, () => Requantizer.Launch(device, a.View, q.View, new FixedPointRequantize(bias.View, mq.View, me.View, 0), perChannel));
    }
}
