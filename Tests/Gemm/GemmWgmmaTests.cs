using ILGPU.Runtime;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Reference;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Gemm;

/// <summary>
/// The Hopper wgmma GEMMs against <see cref="GemmReference"/>, bit-exact: on the CPU accelerator through the emulated
/// instructions (which decode the shared-memory descriptors and the 128-byte swizzle as the hardware does), on an
/// sm_90 GPU across random odd shapes, K tails, padded leading dimensions, edge values and every epilogue (int32,
/// requantize with and without ReLU, dequantize, residual add).
/// </summary>
public sealed class GemmWgmmaTests
{
    public static TheoryData<int, bool> Widths => new() { { 128, false }, { 256, false }, { 128, true }, { 256, true } };

    [Theory]
    [MemberData(nameof(Widths))]
    public void Emulated_int32_matches_reference_on_cpu(int tileN, bool tma) =>
        CheckInt32(TestDevices.Cpu, new GemmWgmmaTn(tileN, allowCpuAccelerator: true, tma: tma), 130, tileN + 3, 300, padTo: 16, seed: tileN, edges: false);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Emulated_epilogues_match_reference_on_cpu(bool tma)
    {
        var variant = new GemmWgmmaTn(128, allowCpuAccelerator: true, tma: tma);
        CheckRequantize(TestDevices.Cpu, variant, 17, 30, 64, relu: true, seed: 4);
        CheckResidual(TestDevices.Cpu, variant, 33, 20, 50, relu: true, seed: 5);
        CheckInt32(TestDevices.Cpu, variant, 9, 7, 129, padTo: 64, seed: 6, edges: true);
    }

    // The TMA feed: K over many ring rounds (the barriers' phases flip), a K tail, M and N tails, a padded stride.
    [Fact]
    public void Emulated_tma_feed_crosses_ring_rounds_on_cpu()
    {
        var variant = new GemmWgmmaTn(128, allowCpuAccelerator: true, tma: true);
        CheckInt32(TestDevices.Cpu, variant, 131, 129, (128 * 13) + 5, padTo: 64, seed: 7, edges: true);
        Assert.Equal("gemm_s8s8s32_tn_wgmma_tma_128x128x128_s6", variant.Name);
    }

    [Fact]
    public void Declines_off_hopper_and_explains()
    {
        var registered = new GemmWgmmaTn();
        Assert.Contains("9.0", registered.CanImplement(TestDevices.Cpu, new GemmProblem(16, 16, 16)), StringComparison.Ordinal);
        var emulated = new GemmWgmmaTn(128, allowCpuAccelerator: true);
        Assert.Null(emulated.CanImplement(TestDevices.Cpu, new GemmProblem(5, 7, 9, 16, 32)));
        Assert.Contains("multiples of 16", emulated.CanImplement(TestDevices.Cpu, new GemmProblem(5, 7, 9)), StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new GemmWgmmaTn(64));
        Assert.Equal("gemm_s8s8s32_tn_wgmma_128x256x128_s4", registered.Name);
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Random_shapes_match_reference_on_gpu()
    {
        var device = TestDevices.Cuda;
        Assert.SkipUnless(GemmWgmmaTn.Supported(device), "wgmma needs compute capability 9.0");
        var random = new Random(1313);
        foreach (var (tileN, tma) in new[] { (256, false), (128, false), (256, true), (128, true) })
        {
            var variant = new GemmWgmmaTn(tileN, tma: tma);
            for (var t = 0; t < 80; t++)
            {
                int m = random.Next(1, 400), n = random.Next(1, 600), k = random.Next(1, 900);
                CheckInt32(device, variant, m, n, k, padTo: t % 3 == 0 ? 64 : 16, seed: t, edges: t % 5 == 0);
            }
        }
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Edges_large_shapes_and_epilogues_match_reference_on_gpu()
    {
        var device = TestDevices.Cuda;
        Assert.SkipUnless(GemmWgmmaTn.Supported(device), "wgmma needs compute capability 9.0");
        foreach (var (tileN, tma) in new[] { (256, false), (128, false), (256, true), (128, true) })
        {
            var variant = new GemmWgmmaTn(tileN, tma: tma);
            foreach (var (m, n, k) in new[] { (128, 256, 128), (129, 257, 129), (1, 1, 1), (255, 383, 16), (64, 64, 4096), (1000, 1000, 1000), (257, 1024, 2200), (384, 512, 640) })
            {
                CheckInt32(device, variant, m, n, k, padTo: 16, seed: m ^ k, edges: false);
                CheckInt32(device, variant, m, n, k, padTo: 16, seed: m ^ k ^ 1, edges: true);
            }

            CheckRequantize(device, variant, 300, 260, 513, relu: true, seed: 2);
            CheckRequantize(device, variant, 129, 131, 77, relu: false, seed: 3);
            CheckDequantize(device, variant, 257, 129, 777, seed: 4);
            CheckResidual(device, variant, 300, 264, 520, relu: true, seed: 5);
            CheckResidual(device, variant, 65, 131, 96, relu: false, seed: 6);
        }
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Selection_prefers_wgmma_on_hopper()
    {
        var device = TestDevices.Cuda;
        Assert.SkipUnless(GemmWgmmaTn.Supported(device), "wgmma needs compute capability 9.0");
        Assert.StartsWith("gemm_s8s8s32_tn_wgmma_", GemmVariants.Select(device, new GemmProblem(8192, 8192, 8192)).Name, StringComparison.Ordinal);
        Assert.StartsWith("gemm_s8s8s32_tn_wgmma_", GemmVariants.Select(device, new GemmProblem(256, 8192, 8192)).Name, StringComparison.Ordinal);
    }

    // Residual add on any variant that runs a problem (the mma.sync kernels share the epilogue).
    [Fact]
    [Trait("Category", "Gpu")]
    public void Residual_epilogue_matches_reference_on_every_tensor_core_variant()
    {
        var device = TestDevices.Cuda;
        foreach (var variant in GemmVariants.All.Where(v => v.CanImplement(device, new GemmProblem(16, 16, 16)) is null))
        {
            CheckResidual(device, variant, 200, 136, 300, relu: true, seed: 9);
        }
    }

    private static (sbyte[] A, sbyte[] B, GemmProblem P) Operands(int m, int n, int k, int padTo, int seed, bool edges)
    {
        int ld = (k + padTo - 1) / padTo * padTo;
        var p = new GemmProblem(m, n, k, ld, ld);
        var a = TestData.Int8(m * k, seed);
        var b = TestData.Int8(n * k, seed + 7);
        if (edges)
        {
            // Extremes: every product ±127·±128 accumulates to the largest sums (wrapping arithmetic stays exact).
            for (var i = 0; i < a.Length; i++)
            {
                a[i] = (i % 3) switch { 0 => sbyte.MinValue, 1 => sbyte.MaxValue, _ => a[i] };
            }

            Array.Fill(b, sbyte.MinValue, 0, b.Length / 2);
        }

        return (Strided(a, m, k, ld, 99), Strided(b, n, k, ld, -99), p);
    }

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

    private static void CheckInt32(Int8Device device, IGemmVariant variant, int m, int n, int k, int padTo, int seed, bool edges)
    {
        var (a, b, p) = Operands(m, n, k, padTo, seed, edges);
        var expected = GemmReference.Accumulate(a, b, p);
        using var da = device.Accelerator.Allocate1D(a);
        using var db = device.Accelerator.Allocate1D(b);
        using var dc = device.Accelerator.Allocate1D<int>(m * n);
        dc.MemSet(0x5A);
        variant.Run(device, da.View, db.View, p, new Int32Epilogue(dc.View, n));
        device.Synchronize();
        Exact.Equal<int>(expected, dc.GetAsArray1D(), $"{variant.Name} {p} lda={p.Lda} seed {seed} edges={edges} on {device.Kind}");
    }

    private static void CheckRequantize(Int8Device device, IGemmVariant variant, int m, int n, int k, bool relu, int seed)
    {
        var (a, b, p) = Operands(m, n, k, 16, seed, edges: false);
        var acc = GemmReference.Accumulate(a, b, p);
        var bias = TestData.Int32(n, seed, -3000, 3000);
        var multiplier = Enumerable.Range(0, n).Select(i => 0.0005f + (0.0001f * (i % 17))).ToArray();
        var expected = QuantizationReference.RequantizeFloat(acc, bias, multiplier, 1, relu);
        using var da = device.Accelerator.Allocate1D(a);
        using var db = device.Accelerator.Allocate1D(b);
        using var dy = device.Accelerator.Allocate1D<sbyte>(m * n);
        using var dm = device.Accelerator.Allocate1D(multiplier);
        using var dbias = device.Accelerator.Allocate1D(bias);
        variant.Run(device, da.View, db.View, p, new RequantizeEpilogue(dy.View, n, dm.View, dbias.View, relu ? 0 : -127));
        device.Synchronize();
        Exact.Equal<sbyte>(expected, dy.GetAsArray1D(), $"{variant.Name} requantize {p} relu={relu} on {device.Kind}");
    }

    private static void CheckResidual(Int8Device device, IGemmVariant variant, int m, int n, int k, bool relu, int seed)
    {
        var (a, b, p) = Operands(m, n, k, 16, seed, edges: false);
        var acc = GemmReference.Accumulate(a, b, p);
        var bias = TestData.Int32(n, seed, -3000, 3000);
        var multiplier = Enumerable.Range(0, n).Select(i => 0.0005f + (0.0001f * (i % 17))).ToArray();
        int residualLd = n + 5;
        var residual = TestData.Int8(m * residualLd, seed + 11);
        const float residualScale = 0.37f;
        int lo = relu ? 0 : -127;
        var expected = new sbyte[m * n];
        for (var r = 0; r < m; r++)
        {
            for (var c = 0; c < n; c++)
            {
                expected[(r * n) + c] = (sbyte)ResidualRequantizeEpilogue.Reference(acc[(r * n) + c], bias[c], multiplier[c], residual[(r * residualLd) + c], residualScale, lo);
            }
        }

        using var da = device.Accelerator.Allocate1D(a);
        using var db = device.Accelerator.Allocate1D(b);
        using var dy = device.Accelerator.Allocate1D<sbyte>(m * n);
        using var dm = device.Accelerator.Allocate1D(multiplier);
        using var dbias = device.Accelerator.Allocate1D(bias);
        using var dres = device.Accelerator.Allocate1D(residual);
        variant.Run(device, da.View, db.View, p, new ResidualRequantizeEpilogue(dy.View, n, dm.View, dbias.View, lo, dres.View, residualLd, residualScale));
        device.Synchronize();
        Exact.Equal<sbyte>(expected, dy.GetAsArray1D(), $"{variant.Name} residual {p} relu={relu} on {device.Kind}");
    }

    private static void CheckDequantize(Int8Device device, IGemmVariant variant, int m, int n, int k, int seed)
    {
        var (a, b, p) = Operands(m, n, k, 16, seed, edges: false);
        var acc = GemmReference.Accumulate(a, b, p);
        var alpha = Enumerable.Range(0, n).Select(i => 0.001f * (i + 1)).ToArray();
        using var da = device.Accelerator.Allocate1D(a);
        using var db = device.Accelerator.Allocate1D(b);
        using var dy = device.Accelerator.Allocate1D<float>(m * n);
        using var dalpha = device.Accelerator.Allocate1D(alpha);
        variant.Run(device, da.View, db.View, p, new DequantizeEpilogue(dy.View, n, dalpha.View, 0f));
        device.Synchronize();
        var actual = dy.GetAsArray1D();
        for (var i = 0; i < actual.Length; i++)
        {
            float expected = alpha[i % n] * acc[i];
            Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual[i]), $"{variant.Name} dequantize {p} index {i}: {actual[i]} vs {expected}");
        }
    }
}
