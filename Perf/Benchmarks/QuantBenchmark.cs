using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Perf.Harness;

namespace ILGPUInt8.Perf.Benchmarks;

/// <summary>
/// Quantize, dequantize and requantize (float and fixed-point) on 1 GiB of the larger element type (2^28 elements;
/// 2^16 with <c>--quick</c>): GB/s of bytes read + written (5 bytes an element), and the ratio to the 16-byte copy
/// kernel measured in the same run (the <c>ceilings</c> benchmark runs first when its copy figure is missing).
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
        int n = context.Quick ? 1 << 16 : 1 << 28;
        string size = context.Quick ? "2^16" : "2^28 (1 GiB f32)";
        const int channels = 64;
        using var f = acc.Allocate1D<float>(n);
        using var q = acc.Allocate1D<sbyte>(n);
        using var a = acc.Allocate1D<int>(n);
        // Realistic inputs (not zeros): floats in ±32, accumulators in ±2^16, int8 from quantizing the floats.
        var fill = device.GetKernel("perf.quant.fill", x =>
            x.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>>(Fill));
        fill(n, f.View, a.View);
        using var scales = acc.Allocate1D(Enumerable.Range(0, channels).Select(c => 0.1f + (c * 0.01f)).ToArray());
        var bias = Enumerable.Range(0, channels).Select(c => (c * 37) - 1000).ToArray();
        var multiplier = Enumerable.Range(0, channels).Select(c => 0.0002 + (c * 0.00001)).ToArray();
        using var floatChannels = acc.Allocate1D(FloatRequantizeChannel.Create(bias, multiplier.Select(m => (float)m).ToArray()));
        using var fixedChannels = acc.Allocate1D(FixedPointChannel.Create(bias, multiplier));
        using var inverses = acc.Allocate1D(Quantizer.Inverses(scales.GetAsArray1D()));
        var perChannel = new PerChannelIndex(channels, 1);
        var tensorScale = new TensorScale(0.25f);
        var tensorInverse = new TensorScale(QuantMath.Inverse(0.25f));
        var channelScales = new ChannelScales(scales.View, perChannel);
        var channelInverses = new ChannelScales(inverses.View, perChannel);
        double copy = context.Ceilings[CeilingsBenchmark.Copy];

        void Measure(string what, long bytes, Action launch)
        {
            double ms = context.TimeMedianMs(launch);
            double gbs = bytes / (ms * 1e6);
            context.Add(new BenchResult(Name, $"{what} {size}", ms, gbs, "GB/s", gbs / copy, "copy"));
        }

        Measure("quantize f32→s8 tensor", 5L * n, () => Quantizer.Launch(device, f.View, q.View, tensorInverse));
        Measure("quantize f32→s8 channel", 5L * n, () => Quantizer.Launch(device, f.View, q.View, channelInverses));
        Measure("dequantize s8→f32 tensor", 5L * n, () => Dequantizer.Launch(device, q.View, f.View, tensorScale));
        Measure("dequantize s8→f32 channel", 5L * n, () => Dequantizer.Launch(device, q.View, f.View, channelScales));
        Measure("requantize s32→s8 float", 5L * n, () => Requantizer.Launch(device, a.View, q.View, new FloatRequantize(floatChannels.View, 0), perChannel));
        Measure("requantize s32→s8 fixed", 5L * n, () => Requantizer.Launch(device, a.View, q.View, new FixedPointRequantize(fixedChannels.View, 0), perChannel));
    }

    /// <summary>f[i] = (h mod 2^16 − 2^15) / 1024, a[i] = h &gt;&gt; 15 (in ±2^16), h = an integer hash of i.</summary>
    internal static void Fill(Index1D i, ArrayView<float> f, ArrayView<int> a)
    {
        // One round of a multiply-xorshift hash (lowbias32).
        uint h = (uint)(int)i;
        h ^= h >> 16;
        h *= 0x7FEB352Du;
        h ^= h >> 15;
        h *= 0x846CA68Bu;
        h ^= h >> 16;
        f[i] = ((int)(h & 0xFFFF) - 32768) / 1024f;
        a[i] = (int)h >> 15;
    }
}
