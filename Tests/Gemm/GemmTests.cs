using ILGPU.Runtime;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Reference;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Gemm;

public sealed class GemmTests
{
    public static TheoryData<string, int, int, int> CpuCases()
    {
        var data = new TheoryData<string, int, int, int>();
        (int M, int N, int K)[] shapes = [(1, 1, 1), (3, 5, 7), (17, 9, 33), (130, 7, 20), (5, 131, 45), (129, 130, 64)];
        // Each fixed tile and forced split-K on fewer shapes (a 256-thread group is 256 OS threads here).
        (int M, int N, int K)[] few = [(3, 5, 7), (70, 66, 100), (129, 65, 161)];
        // Tensor-core variants refuse the CPU accelerator (their emulation is tested in GemmMmaTests and GemmWgmmaTests).
        foreach (var v in GemmVariants.All.Where(v => v is not (GemmMmaTn or GemmWgmmaTn)))
        {
            foreach (var (m, n, k) in v.Name.EndsWith("x32", StringComparison.Ordinal) || v.Name.EndsWith("x64", StringComparison.Ordinal) || v.Name.Contains("splitk", StringComparison.Ordinal) ? few : shapes)
            {
                data.Add(v.Name, m, n, k);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CpuCases))]
    public void Int32_output_matches_reference_on_cpu(string variant, int m, int n, int k) =>
        CheckInt32(TestDevices.Cpu, variant, m, n, k, seed: m * 1000 + n * 10 + k);

    [Theory]
    [InlineData("gemm_s8s8s32_tn_dp4a_128x128x32", 33, 20, 50, true)]
    [InlineData("gemm_s8s8s32_tn_dp4a_simple", 9, 6, 13, false)]
    public void Requantize_epilogue_matches_reference_on_cpu(string variant, int m, int n, int k, bool relu) =>
        CheckRequantize(TestDevices.Cpu, variant, m, n, k, relu, seed: 5);

    [Theory]
    [InlineData("gemm_s8s8s32_tn_dp4a_128x128x32", 33, 20, 50)]
    [InlineData("gemm_s8s8s32_tn_dp4a_simple", 9, 6, 13)]
    public void Dequantize_epilogue_matches_reference_on_cpu(string variant, int m, int n, int k) =>
        CheckDequantize(TestDevices.Cpu, variant, m, n, k, seed: 6);

    [Fact]
    [Trait("Category", "Gpu")]
    public void All_variants_match_reference_on_gpu_random_shapes()
    {
        var device = TestDevices.Cuda;
        var random = new Random(2026);
        foreach (var v in GemmVariants.All)
        {
            for (var t = 0; t < 60; t++)
            {
                int m = random.Next(1, 300), n = random.Next(1, 300), k = random.Next(1, 600);
                if (v.CanImplement(device, Pad(new GemmProblem(m, n, k), v)) is null)
                {
                    CheckInt32(device, v.Name, m, n, k, seed: t);
                }
            }

            CheckInt32(device, v.Name, 1024, 768, 1000, seed: 1);
            CheckRequantize(device, v.Name, 300, 260, 513, relu: true, seed: 2);
            CheckDequantize(device, v.Name, 257, 129, 77, seed: 3);
        }
    }

    [Fact]
    public void Buffers_too_small_are_rejected_before_launch()
    {
        var device = TestDevices.Cpu;
        using var a = device.Accelerator.Allocate1D<sbyte>(10);
        using var b = device.Accelerator.Allocate1D<sbyte>(64);
        using var c = device.Accelerator.Allocate1D<int>(4);
        var ex = Assert.Throws<ArgumentException>(() => GemmS8.Int32(device, a.View, b.View, c.View, new GemmProblem(2, 2, 16)));
        Assert.Equal("a", ex.ParamName);
        Assert.Throws<ArgumentException>(() => GemmS8.Int32(device, b.View, b.View, c.View, new GemmProblem(3, 2, 16)));
        Assert.Throws<ArgumentException>(() => new GemmProblem(2, 2, 16, 8, 16).Validate());
        Assert.Throws<ArgumentException>(() => GemmVariants.Get("no_such_variant"));
    }

    [Fact]
    public void Tiled_variant_explains_why_it_cannot_run()
    {
        var reason = GemmVariants.Get("gemm_s8s8s32_tn_dp4a_128x128x32").CanImplement(TestDevices.Cpu, new GemmProblem(4, 4, 10));
        Assert.NotNull(reason);
        Assert.Contains("multiples of 16", reason, StringComparison.Ordinal);
    }

    // The tiled and tensor-core variants need 16-byte leading dimensions: tests lay the operands out padded (ld = round up K to 16).
    private static GemmProblem Pad(GemmProblem p, IGemmVariant v) =>
        v is GemmDp4aTiled or GemmMmaTn or GemmWgmmaTn ? new GemmProblem(p.M, p.N, p.K, (p.K + 15) / 16 * 16, (p.K + 15) / 16 * 16) : p;

    private static (sbyte[] A, sbyte[] B, GemmProblem P) Operands(string variant, int m, int n, int k, int seed)
    {
        var p = Pad(new GemmProblem(m, n, k), GemmVariants.Get(variant));
        var a = Strided(TestData.Int8(m * k, seed), m, k, p.Lda, fill: 99);
        var b = Strided(TestData.Int8(n * k, seed + 7), n, k, p.Ldb, fill: -99);
        return (a, b, p);
    }

    // Rows of k values at stride ld; the padding holds garbage the kernels must ignore.
    private static sbyte[] Strided(sbyte[] dense, int rows, int k, int ld, sbyte fill)
    {
        var result = new sbyte[rows * ld];
        Array.Fill(result, fill);
        for (var r = 0; r < rows; r++)
        {
            Array.Copy(dense, r * k, result, r * ld, k);
        }

        return result;
    }

    private static void CheckInt32(Int8Device device, string variant, int m, int n, int k, int seed)
    {
        var (a, b, p) = Operands(variant, m, n, k, seed);
        var expected = GemmReference.Accumulate(a, b, p);
        using var da = device.Accelerator.Allocate1D(a);
        using var db = device.Accelerator.Allocate1D(b);
        using var dc = device.Accelerator.Allocate1D<int>(m * n);
        GemmS8.Int32(device, da.View, db.View, dc.View, p, variant);
        device.Synchronize();
        Exact.Equal<int>(expected, dc.GetAsArray1D(), $"{variant} {p} seed {seed} on {device.Kind}");
    }

    private static void CheckRequantize(Int8Device device, string variant, int m, int n, int k, bool relu, int seed)
    {
        var (a, b, p) = Operands(variant, m, n, k, seed);
        var acc = GemmReference.Accumulate(a, b, p);
        var bias = TestData.Int32(n, seed, -3000, 3000);
        var multiplier = Enumerable.Range(0, n).Select(i => 0.0005f + (0.0001f * (i % 17))).ToArray();
        var expected = QuantizationReference.RequantizeFloat(acc, bias, multiplier, 1, relu);
        using var da = device.Accelerator.Allocate1D(a);
        using var db = device.Accelerator.Allocate1D(b);
        using var dy = device.Accelerator.Allocate1D<sbyte>(m * n);
        using var dm = device.Accelerator.Allocate1D(multiplier);
        using var dbias = device.Accelerator.Allocate1D(bias);
        GemmS8.Requantize(device, da.View, db.View, dy.View, dm.View, dbias.View, relu, p, variant);
        device.Synchronize();
        Exact.Equal<sbyte>(expected, dy.GetAsArray1D(), $"{variant} requantize {p} relu={relu} on {device.Kind}");
    }

    private static void CheckDequantize(Int8Device device, string variant, int m, int n, int k, int seed)
    {
        var (a, b, p) = Operands(variant, m, n, k, seed);
        var acc = GemmReference.Accumulate(a, b, p);
        var alpha = Enumerable.Range(0, n).Select(i => 0.001f * (i + 1)).ToArray();
        var previous = TestData.Float(m * n, seed);
        const float beta = 0.5f;
        using var da = device.Accelerator.Allocate1D(a);
        using var db = device.Accelerator.Allocate1D(b);
        using var dy = device.Accelerator.Allocate1D(previous);
        using var dalpha = device.Accelerator.Allocate1D(alpha);
        GemmS8.Dequantize(device, da.View, db.View, dy.View, dalpha.View, beta, p, variant);
        device.Synchronize();
        var actual = dy.GetAsArray1D();
        for (var i = 0; i < actual.Length; i++)
        {
            // alpha·acc + beta·y: one rounding per operation, the GPU may fuse into an FMA: within 2 ulp of the larger term.
            var expected = (alpha[i % n] * acc[i]) + (beta * previous[i]);
            var tolerance = 2e-7f * Math.Max(Math.Abs(alpha[i % n] * acc[i]), Math.Abs(beta * previous[i])) + 1e-30f;
            Assert.True(Math.Abs(expected - actual[i]) <= tolerance, $"{variant} dequantize {p} index {i}: {actual[i]} vs {expected}");
        }
    }
}
