using System.Reflection;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;
using HostGemm = ILGPUInt8.Training.Gemm;

namespace ILGPUInt8.Tests.Gemm;

/// <summary>
/// <see cref="GemmF32Fma"/>, the FP32 GEMM of training on a device, bit for bit against the scalar reference
/// c = (Σ_t fma in t order from +0) + bias — which the host SGEMM (<see cref="HostGemm"/>) must match too: on the CPU
/// accelerator with odd sizes, on CUDA with tile edges and deep t; its PTX uses fma.rn.f32 and add.rn.f32, never .ftz, and keeps the accumulators in registers.
/// </summary>
public sealed class GemmF32FmaTests
{
    [Theory]
    [InlineData(1, 1, 1, 1)]
    [InlineData(7, 13, 29, 2)]
    [InlineData(65, 3, 17, 3)]
    [InlineData(5, 67, 40, 4)]
    [InlineData(70, 66, 33, 5)]
    public void Cpu_accelerator_matches_the_reference_and_the_host_sgemm(int m, int n, int t, int seed)
    {
        Check(TestDevices.Cpu, m, n, t, seed, bias: false);
        Check(TestDevices.Cpu, m, n, t, seed + 100, bias: true);
    }

    [Fact]
    public void Ptx_uses_round_to_nearest_fma_without_flush_to_zero_in_registers()
    {
        var method = typeof(GemmF32Fma).GetMethod("Kernel", BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(typeof(Im2ColF32), typeof(ColumnMajorF32));
        var ptx = PtxLocalSlotPass.Rewrite(KernelPtx.Sm90(method));
        Assert.Contains("fma.rn.f32", ptx, StringComparison.Ordinal);
        Assert.Contains("add.rn.f32", ptx, StringComparison.Ordinal);
        Assert.DoesNotContain(".ftz", ptx, StringComparison.Ordinal);
        Assert.DoesNotContain("mul.f32", ptx, StringComparison.Ordinal);
        Assert.DoesNotContain(".local", ptx, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Cuda_matches_the_reference_bit_for_bit()
    {
        var device = TestDevices.Cuda;
        // One tile, one past a tile, a single t, t not a multiple of 16, deep t with few outputs (a weight gradient).
        foreach (var (m, n, t) in new[] { (64, 64, 16), (65, 129, 17), (1, 1, 1), (200, 37, 145), (16, 9, 50176), (3000, 32, 144) })
        {
            Check(device, m, n, t, m ^ t, bias: false);
            Check(device, m, n, t, m + t, bias: true);
        }
    }

    private static void Check(Int8Device device, int m, int n, int t, int seed, bool bias)
    {
        var a = Values(m * t, seed);
        var b = Values(n * t, seed + 1);
        var bv = bias ? Values(n, seed + 2) : [];
        var expected = Reference(a, m, t, b, n, bv);
        if (!bias)
        {
            var host = new float[m * n];
            HostGemm.MultiplyTransposed(a, m, t, b, n, host);
            Exact.EqualBits(expected, host, $"host SGEMM {m}×{n}×{t}");
        }

        using var da = device.Accelerator.Allocate1D(a);
        using var db = device.Accelerator.Allocate1D(b);
        using var dbias = bias ? device.Accelerator.Allocate1D(bv) : null;
        using var dc = device.Accelerator.Allocate1D<float>(m * n);
        GemmF32Fma.Run(device, da.View, db.View, dbias is null ? default : dbias.View, dc.View, new GemmProblem(m, n, t));
        device.Synchronize();
        Exact.EqualBits(expected, dc.GetAsArray1D(), $"{device.Kind} {m}×{n}×{t} bias {bias}");
    }

    // c[i][j] = (fma(a[i][t], b[j][t], ·) for t = 0 .. from +0) + bias[j] (+ 0 without one).
    private static float[] Reference(float[] a, int m, int t, float[] b, int n, float[] bias)
    {
        var c = new float[m * n];
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                float acc = 0f;
                for (var k = 0; k < t; k++)
                {
                    acc = MathF.FusedMultiplyAdd(a[(i * t) + k], b[(j * t) + k], acc);
                }

                c[(i * n) + j] = acc + (bias.Length > 0 ? bias[j] : 0f);
            }
        }

        return c;
    }

    // Mixed signs and magnitudes (rounding matters), with exact zeros and negative zeros.
    private static float[] Values(int count, int seed)
    {
        var random = new Random(seed);
        var v = new float[count];
        for (var i = 0; i < count; i++)
        {
            int kind = random.Next(16);
            v[i] = kind == 0 ? 0f : kind == 1 ? -0f : (float)(((random.NextDouble() * 2) - 1) * Math.Pow(2, random.Next(-6, 4)));
        }

        return v;
    }
}
