using System.Diagnostics;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Cpu;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Pow2;
using ILGPUInt8.Perf.Harness;

namespace ILGPUInt8.Perf.Benchmarks;

/// <summary>
/// Power-of-two weights (INQ, <see cref="Pow2Nibbles"/>): the shift-add GEMM against unpacking the nibbles to int8 and
/// running the int8 GEMM, on the Fashion-MNIST CNN's GEMM shapes at batch 64 and a square one; C = A·Wᵀ with A int8
/// [M × K] and W [N × K] 3-bit INQ weights (0, ±2^0, ±2^1, scaled), both paths checked bit-exact first.
/// <list type="bullet">
/// <item>CPU: shift-add = a host loop per output decoding each nibble (sign, code) and adding ±a &lt;&lt; (code − 1)
/// (Parallel.For over rows, scalar: no SIMD variable shift); unpack + GEMM = <see cref="Pow2Nibbles.Unpack"/>, pack for
/// the best CPU variant and <c>CpuGemmS8</c> (VNNI/AVX2) — timed with the unpack and pack (weights re-decoded every call)
/// and without (unpacked once when the engine is made, the engine's way).</item>
/// <item>The ILGPU device (<c>--device</c>): <see cref="GemmPow2ShiftAdd"/> against unpacked weights through
/// <see cref="GemmS8"/>; on the CPU accelerator only at the tiny shape (it simulates every GPU thread: not a speed).</item>
/// </list>
/// Weight bytes: float32 4·N·K, int8 N·K, nibbles N·⌈K/2⌉ (+1 exponent byte a tensor).
/// </summary>
public sealed class Pow2GemmBenchmark : IBenchmark
{
    /// <inheritdoc />
    public string Name => "pow2gemm";

    /// <inheritdoc />
    public string Description => "power-of-two (INQ nibble) weights: shift-add GEMM vs unpack to int8 + int8 GEMM, CPU and device, weight bytes";

    /// <inheritdoc />
    public void Run(BenchContext context)
    {
        // (name, M, N, K): the CNN's conv2 (im2col 14×14 pixels × 64 images, 3×3×16) and fc1 (1568 → 64) at batch 64, 512³.
        (string Name, int M, int N, int K)[] shapes = context.Quick
            ? [("tiny", 64, 32, 64)]
            : [("tiny", 64, 32, 64), ("fashion conv2 b64", 64 * 14 * 14, 32, 144), ("fashion fc1 b64", 64, 64, 1568), ("square 512", 512, 512, 512)];
        foreach (var (name, m, n, k) in shapes)
        {
            var random = new Random(m + n + k);
            var a = new sbyte[m * k];
            random.NextBytes((byte[])(Array)a);
            var floats = new float[n * k];
            for (var i = 0; i < floats.Length; i++)
            {
                // 3-bit INQ: 0 or ±2^e for two exponents, a quarter zeros.
                int r = random.Next(8);
                floats[i] = r < 2 ? 0f : (r % 2 == 0 ? 1 : -1) * MathF.ScaleB(1f, -6 + (r / 4));
            }

            var w = Pow2Nibbles.Pack(floats, n, k);
            var c = new int[m * n];
            var expected = new int[m * n];
            var isa = CpuIsaSupport.Best();
            CpuGemmS8.Run(a, new PackedB(w.Unpack(), n, k, isa), expected, m);
            ShiftAdd(a, w, c, m);
            if (!c.AsSpan().SequenceEqual(expected))
            {
                throw new InvalidOperationException($"pow2gemm {name}: the shift-add GEMM differs from unpack + int8 GEMM.");
            }

            double ops = 2.0 * m * n * k;
            string bytes = $"weights float32 {4L * n * k} B, int8 {(long)n * k} B, nibbles {w.Packed.Length + 1} B";
            var shift = Median(context, () => ShiftAdd(a, w, c, m));
            var full = Median(context, () => CpuGemmS8.Run(a, new PackedB(w.Unpack(), n, k, isa), c, m));
            var packed = new PackedB(w.Unpack(), n, k, isa);
            var gemm = Median(context, () => CpuGemmS8.Run(a, packed, c, m));
            string shape = $"{name} M={m} N={n} K={k} ({Environment.ProcessorCount} cores)";
            context.Add(new BenchResult(Name, $"cpu shift-add {shape}; {bytes}", shift, ops / (shift * 1e6), "GOPS"));
            context.Add(new BenchResult(Name, $"cpu unpack+pack+{isa} gemm {shape}", full, ops / (full * 1e6), "GOPS", shift / full, "cpu shift-add"));
            context.Add(new BenchResult(Name, $"cpu {isa} gemm, unpacked once {shape}", gemm, ops / (gemm * 1e6), "GOPS", shift / gemm, "cpu shift-add"));
            if (context.Device.IsCuda || name == "tiny")
            {
                DeviceCase(context, name, a, w, m, n, k, expected);
            }
        }
    }

    private void DeviceCase(BenchContext context, string name, sbyte[] a, Pow2Nibbles w, int m, int n, int k, int[] expected)
    {
        var device = context.Device;
        var problem = new GemmProblem(m, n, k);
        using var da = device.Accelerator.Allocate1D(a);
        using var dw = device.Accelerator.Allocate1D(w.Packed);
        using var db = device.Accelerator.Allocate1D(w.Unpack());
        using var dc = device.Accelerator.Allocate1D<int>((long)m * n);
        GemmPow2ShiftAdd.Run(device, da.View, dw.View, dc.View, problem);
        device.Synchronize();
        if (!dc.GetAsArray1D().AsSpan().SequenceEqual(expected))
        {
            throw new InvalidOperationException($"pow2gemm {name}: the device shift-add kernel differs from the int8 GEMM.");
        }

        double ops = 2.0 * m * n * k;
        string where = device.IsCuda ? device.Accelerator.Name : "ilgpu cpu accelerator (simulation, not a speed)";
        var shift = context.TimeMedianMs(() => GemmPow2ShiftAdd.Run(device, da.View, dw.View, dc.View, problem));
        var int8 = context.TimeMedianMs(() => GemmS8.Run(device, da.View, db.View, problem, new Int32Epilogue(dc.View, n)));
        context.Add(new BenchResult(Name, $"device shift-add {name} on {where}", shift, ops / (shift * 1e6), "GOPS"));
        context.Add(new BenchResult(Name, $"device int8 gemm (unpacked once) {name} on {where}", int8, ops / (int8 * 1e6), "GOPS", shift / int8, "device shift-add"));
    }

    // C[m][n] = Σ_k a[m][k] · w[n][k] by shift and add: ±a << (c − 1) per nibble (s, c), nothing for c = 0.
    private static void ShiftAdd(sbyte[] a, Pow2Nibbles w, int[] c, int m)
    {
        int n = w.Rows, k = w.K, rowBytes = w.RowBytes;
        var packed = w.Packed;
        Parallel.For(0, m, row =>
        {
            var x = a.AsSpan(row * k, k);
            for (var j = 0; j < n; j++)
            {
                var nib = packed.AsSpan(j * rowBytes, rowBytes);
                int sum = 0;
                for (var i = 0; i < k; i++)
                {
                    int code = (nib[i >> 1] >> ((i & 1) * 4)) & 15;
                    int v = (code & 8) != 0 ? -x[i] : x[i];
                    sum += (code & 7) == 0 ? 0 : v << ((code & 7) - 1);
                }

                c[(row * n) + j] = sum;
            }
        });
    }

    private static double Median(BenchContext context, Action run)
    {
        run();
        var samples = new double[Math.Max(3, context.Repeats)];
        for (var s = 0; s < samples.Length; s++)
        {
            var watch = Stopwatch.StartNew();
            run();
            samples[s] = watch.Elapsed.TotalMilliseconds;
        }

        Array.Sort(samples);
        return samples[samples.Length / 2];
    }
}
