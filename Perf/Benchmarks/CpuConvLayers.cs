using System.Diagnostics;
using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Cpu;
using ILGPUInt8.Perf.Harness;

namespace ILGPUInt8.Perf.Benchmarks;

/// <summary>
/// <c>cpu-engine --only layers</c>: single INT8 convolutions of the Fashion CNN (conv1 3×3 over 1 channel → 16, conv2
/// 3×3 16 → 32) and a ResNet-18 3×3 layer, with the requantize epilogue, through the direct VNNI path
/// (<see cref="CpuDirectConv"/>) and the im2col path, in alternating blocks (the ratio im2col / direct time within a
/// round, median over rounds; same random data, same thread count).
/// </summary>
internal static unsafe class CpuConvLayers
{
    private static readonly (string Name, ConvProblem Problem)[] Layers =
    [
        ("fashion conv1", new(1, 1, 28, 28, 16, 3, 3, PadH: 1, PadW: 1)),
        ("fashion conv2", new(1, 16, 14, 14, 32, 3, 3, PadH: 1, PadW: 1)),
        ("resnet18 layer1 3x3", new(1, 64, 56, 56, 64, 3, 3, PadH: 1, PadW: 1)),
        ("resnet18 layer4 3x3", new(1, 512, 7, 7, 512, 3, 3, PadH: 1, PadW: 1)),
        ("resnet18 stem 7x7/2", new(1, 3, 224, 224, 64, 7, 7, StrideH: 2, StrideW: 2, PadH: 3, PadW: 3)),
    ];

    public static void Run(BenchContext context, string name, int[] threads, int rounds)
    {
        if (!CpuIsaSupport.IsSupported(CpuIsa.AvxVnni))
        {
            Console.WriteLine("  layers: no AVX-VNNI here, skipped");
            return;
        }

        foreach (var t in threads)
        {
            CpuThreads.Max = t;
            foreach (var (label, p) in Layers)
            {
                foreach (var batch in label.StartsWith("fashion", StringComparison.Ordinal) ? new[] { 1, 64 } : [1])
                {
                    var random = new Random(batch);
                    var x = new sbyte[batch * p.H * p.W * p.C];
                    var w = new sbyte[p.K * p.R * p.S * p.C];
                    random.NextBytes((byte[])(Array)x);
                    random.NextBytes((byte[])(Array)w);
                    var y = new sbyte[batch * p.P * p.Q * p.K];
                    var mult = Enumerable.Repeat(1f / 4096, p.K).ToArray();
                    var bias = new int[p.K];
                    var direct = new CpuConvS8(w, p, CpuIsa.AvxVnni, direct: true);
                    var im2col = new CpuConvS8(w, p, CpuIsa.AvxVnni, direct: false);
                    var times = new double[2][];
                    times[0] = new double[rounds];
                    times[1] = new double[rounds];
                    int repeats = Math.Max(5, (int)(2e7 / Math.Max(1, p.Macs * batch)));
                    for (var r = 0; r < rounds; r++)
                    {
                        times[0][r] = Time(direct, x, y, mult, bias, batch, p.K, repeats);
                        times[1][r] = Time(im2col, x, y, mult, bias, batch, p.K, repeats);
                    }

                    double d = Median(times[0]), i = Median(times[1]);
                    double ratio = Median([.. times[1].Zip(times[0], (a, b) => a / b)]);
                    string what = $"layer {label} b{batch} {t}t";
                    context.Add(new BenchResult(name, $"{what} direct", d, p.Macs * batch * 2 / (d * 1e6), "GOPS"));
                    context.Add(new BenchResult(name, $"{what} im2col", i, p.Macs * batch * 2 / (i * 1e6), "GOPS", ratio, "direct speed-up"));
                }
            }
        }
    }

    private static double Time(CpuConvS8 conv, sbyte[] x, sbyte[] y, float[] mult, int[] bias, int batch, int k, int repeats)
    {
        fixed (sbyte* xp = x)
        fixed (sbyte* yp = y)
        {
            var sink = new CpuRequantizeSink(yp, k, mult, bias, 0, null);
            conv.Forward(xp, batch, sink);
            var samples = new double[repeats];
            for (var i = 0; i < repeats; i++)
            {
                var watch = Stopwatch.StartNew();
                conv.Forward(xp, batch, sink);
                samples[i] = watch.Elapsed.TotalMilliseconds;
            }

            return Median(samples);
        }
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
