using ILGPU.Runtime;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Reference;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Gemm;

/// <summary>
/// The tensor-core GEMMs against <see cref="GemmReference"/>, bit-exact: on the CPU accelerator through the emulated
/// instructions (tiny shapes: every simulated thread is an OS thread and each MMA is 32 shuffles), on CUDA across
/// hundreds of random shapes, K tails, padded leading dimensions and every epilogue.
/// </summary>
public sealed class GemmMmaTests
{
    // The emulated whole-kernel cases run in CI (tens of seconds each on 2 cores: every MMA is 12 warp barriers there).
    [Fact]
    public void Emulated_requantize_epilogue_matches_reference_on_cpu() =>
        CheckRequantize(TestDevices.Cpu, new GemmMmaTn128x128(allowCpuAccelerator: true), 17, 30, 64, relu: true, seed: 4);

    [Theory]
    [InlineData(20, 24, 40)]
    [InlineData(130, 9, 300)]
    public void Emulated_128x128_matches_reference_on_cpu(int m, int n, int k)
    {
        CheckInt32(TestDevices.Cpu, new GemmMmaTn128x128(allowCpuAccelerator: true), m, n, k, padTo: 16, seed: m + n + k);
    }

    [Fact]
    public void Emulated_128x256_matches_reference_on_cpu()
    {
        CheckInt32(TestDevices.Cpu, new GemmMmaTn128x256(allowCpuAccelerator: true), 9, 260, 50, padTo: 64, seed: 3);
    }

    [Fact]
    public void Registered_variants_explain_why_they_cannot_run()
    {
        foreach (var variant in GemmVariants.All.OfType<GemmMmaTn>())
        {
            Assert.Contains("CUDA", variant.CanImplement(TestDevices.Cpu, new GemmProblem(16, 16, 16)), StringComparison.Ordinal);
            var emulated = new GemmMmaTn128x128(allowCpuAccelerator: true);
            Assert.Null(emulated.CanImplement(TestDevices.Cpu, new GemmProblem(5, 7, 9, 16, 32)));
            Assert.Contains("multiples of 16", emulated.CanImplement(TestDevices.Cpu, new GemmProblem(5, 7, 9)), StringComparison.Ordinal);
        }
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Random_shapes_match_reference_on_gpu()
    {
        var device = TestDevices.Cuda;
        var random = new Random(4242);
        foreach (var variant in GemmVariants.All.OfType<GemmMmaTn>())
        {
            for (var t = 0; t < 150; t++)
            {
                int m = random.Next(1, 300), n = random.Next(1, 300), k = random.Next(1, 700);
                CheckInt32(device, variant, m, n, k, padTo: t % 3 == 0 ? 64 : 16, seed: t);
            }
        }
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Edges_large_shapes_and_epilogues_match_reference_on_gpu()
    {
        var device = TestDevices.Cuda;
        foreach (var variant in GemmVariants.All.OfType<GemmMmaTn>())
        {
            // Exact tiles, one row/column past a tile, K of one byte, K one past a stage, deep K (many pipeline turns).
            foreach (var (m, n, k) in new[] { (128, 256, 128), (129, 257, 129), (1, 1, 1), (255, 383, 16), (64, 64, 4096), (1000, 1000, 1000), (257, 1024, 2200) })
            {
                CheckInt32(device, variant, m, n, k, padTo: 16, seed: m ^ k);
            }

            CheckRequantize(device, variant, 300, 260, 513, relu: true, seed: 2);
            CheckRequantize(device, variant, 129, 131, 77, relu: false, seed: 3);
            CheckDequantize(device, variant, 257, 129, 777, seed: 4);
        }
    }

    private static (sbyte[] A, sbyte[] B, GemmProblem P) Operands(int m, int n, int k, int padTo, int seed)
    {
        int ld = (k + padTo - 1) / padTo * padTo;
        var p = new GemmProblem(m, n, k, ld, ld);
        return (Strided(TestData.Int8(m * k, seed), m, k, ld, 99), Strided(TestData.Int8(n * k, seed + 7), n, k, ld, -99), p);
    }

    // Rows of k values at stride ld; the padding holds values the kernels must ignore.
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

    private static void CheckInt32(Int8Device device, GemmMmaTn variant, int m, int n, int k, int padTo, int seed)
    {
        var (a, b, p) = Operands(m, n, k, padTo, seed);
        var expected = GemmReference.Accumulate(a, b, p);
        using var da = device.Accelerator.Allocate1D(a);
        using var db = device.Accelerator.Allocate1D(b);
        using var dc = device.Accelerator.Allocate1D<int>(m * n);
        dc.MemSet(0x5A);
        variant.Run(device, da.View, db.View, p, new Int32Epilogue(dc.View, n));
        device.Synchronize();
        Exact.Equal<int>(expected, dc.GetAsArray1D(), $"{variant.Name} {p} lda={p.Lda} seed {seed} on {device.Kind}");
    }

    private static void CheckRequantize(Int8Device device, GemmMmaTn variant, int m, int n, int k, bool relu, int seed)
    {
        var (a, b, p) = Operands(m, n, k, 16, seed);
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

    private static void CheckDequantize(Int8Device device, GemmMmaTn variant, int m, int n, int k, int seed)
    {
        var (a, b, p) = Operands(m, n, k, 16, seed);
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
            // beta = 0: y = alpha·f32(acc), one rounding of an exact product of a float and an exact int → bit-exact.
            float expected = alpha[i % n] * acc[i];
            Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual[i]), $"{variant.Name} dequantize {p} index {i}: {actual[i]} vs {expected}");
        }
    }
}
