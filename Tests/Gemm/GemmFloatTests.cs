using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Reference;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Gemm;

/// <summary>
/// The FP16 and TF32 tensor-core GEMMs (<see cref="GemmMmaFloat"/>, <see cref="GemmWgmmaFloat"/>) against
/// <see cref="FloatGemmReference"/>: on the CPU accelerator the emulated instructions bit-exact (they define the
/// reference order); on CUDA bit-exact when every partial sum is an exact float (small integer operands), else within
/// the reference's stated tolerance (the tensor cores sum a k step in their own order). Padding past K holds NaN,
/// which the kernels must never read.
/// </summary>
public sealed class GemmFloatTests
{
    [Fact]
    public void Emulated_fp16_mma_matches_reference_order_on_cpu() =>
        Check(TestDevices.Cpu, new GemmMmaFloat(FloatMmaInput.Fp16, 128, allowCpuAccelerator: true), 20, 24, 70, padTo: 8, seed: 1, integers: false, halfOut: false, bias: true, relu: true);

    [Fact]
    public void Emulated_fp16_mma_half_output_on_cpu() =>
        Check(TestDevices.Cpu, new GemmMmaFloat(FloatMmaInput.Fp16, 128, stages: 3, allowCpuAccelerator: true), 9, 131, 33, padTo: 64, seed: 2, integers: false, halfOut: true, bias: false, relu: false);

    [Fact]
    public void Emulated_tf32_mma_matches_reference_order_on_cpu() =>
        Check(TestDevices.Cpu, new GemmMmaFloat(FloatMmaInput.Tf32, 128, allowCpuAccelerator: true), 17, 30, 45, padTo: 4, seed: 3, integers: false, halfOut: false, bias: true, relu: false);

    [Fact]
    public void Emulated_fp16_wgmma_matches_reference_order_on_cpu() =>
        Check(TestDevices.Cpu, new GemmWgmmaFloat(128, allowCpuAccelerator: true), 5, 12, 72, padTo: 8, seed: 4, integers: false, halfOut: true, bias: true, relu: true);

    [Fact]
    public void Emulated_fp16_wgmma_tma_matches_reference_order_on_cpu() =>
        Check(TestDevices.Cpu, new GemmWgmmaFloat(128, allowCpuAccelerator: true, tma: true), 130, 131, 460, padTo: 8, seed: 5, integers: false, halfOut: false, bias: true, relu: false);

    [Fact]
    public void Variants_explain_why_they_cannot_run()
    {
        foreach (var input in new[] { FloatMmaInput.Fp16, FloatMmaInput.Tf32 })
        {
            foreach (var variant in GemmFloat.Variants(TestDevices.Cpu, input))
            {
                Assert.Contains("CUDA", variant.CanImplement(TestDevices.Cpu, new GemmProblem(16, 16, 16)), StringComparison.Ordinal);
            }
        }

        var emulated = new GemmMmaFloat(FloatMmaInput.Fp16, allowCpuAccelerator: true);
        Assert.Null(emulated.CanImplement(TestDevices.Cpu, new GemmProblem(5, 7, 9, 16, 24)));
        Assert.Contains("multiples of 8", emulated.CanImplement(TestDevices.Cpu, new GemmProblem(5, 7, 9)), StringComparison.Ordinal);
        Assert.Contains("multiples of 4", new GemmMmaFloat(FloatMmaInput.Tf32, allowCpuAccelerator: true).CanImplement(TestDevices.Cpu, new GemmProblem(5, 7, 9, 10, 12)), StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new GemmMmaFloat(FloatMmaInput.Fp16, 256, stages: 4));
        Assert.Throws<NotSupportedException>(() => GemmFloat.Select(TestDevices.Cpu, FloatMmaInput.Fp16, new GemmProblem(8, 8, 8)));
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Random_shapes_match_reference_on_gpu()
    {
        var device = TestDevices.Cuda;
        var random = new Random(1515);
        foreach (var input in new[] { FloatMmaInput.Fp16, FloatMmaInput.Tf32 })
        {
            foreach (var variant in AllVariants(input))
            {
                for (var t = 0; t < 24; t++)
                {
                    int m = random.Next(1, 300), n = random.Next(1, 300), k = random.Next(1, 700);
                    int padTo = t % 3 == 0 ? 64 : input == FloatMmaInput.Fp16 ? 8 : 4;
                    Check(device, variant, m, n, k, padTo, seed: t, integers: t % 2 == 0, halfOut: t % 4 == 1, bias: t % 3 != 2, relu: t % 5 == 0);
                }
            }
        }
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Edges_and_deep_k_match_reference_on_gpu()
    {
        var device = TestDevices.Cuda;
        foreach (var input in new[] { FloatMmaInput.Fp16, FloatMmaInput.Tf32 })
        {
            foreach (var variant in AllVariants(input))
            {
                // Exact tiles, one past a tile, K of one element, K one past a stage, deep K, many tiles.
                foreach (var (m, n, k) in new[] { (128, 256, 128), (129, 257, 65), (1, 1, 1), (255, 383, 33), (64, 64, 4096), (520, 600, 1000) })
                {
                    int pad = input == FloatMmaInput.Fp16 ? 8 : 4;
                    Check(device, variant, m, n, k, pad, seed: m ^ k, integers: true, halfOut: false, bias: false, relu: false);
                    Check(device, variant, m, n, k, pad, seed: m + k, integers: false, halfOut: m % 2 == 1, bias: true, relu: true);
                }
            }
        }
    }

    // Every variant of an input precision, whichever the device prefers.
    private static IEnumerable<IFloatGemmVariant> AllVariants(FloatMmaInput input) =>
        GemmFloat.Variants(TestDevices.Cuda, input);

    private static void Check(Int8Device device, IFloatGemmVariant variant, int m, int n, int k, int padTo, int seed, bool integers, bool halfOut, bool bias, bool relu)
    {
        bool fp16 = variant.Input == FloatMmaInput.Fp16;
        int ld = (k + padTo - 1) / padTo * padTo;
        var p = new GemmProblem(m, n, k, ld, ld);
        float[] a = Values(m, k, ld, seed, integers, fp16), b = Values(n, k, ld, seed + 7, integers, fp16);
        float[] acc = fp16 ? FloatGemmReference.Fp16(HalfConvert.FromFloats(a), HalfConvert.FromFloats(b), p) : FloatGemmReference.Tf32(a, b, p);
        float[]? biasValues = bias ? TestData.Float(n, seed + 3, integers ? 0f : 2f).Select(v => integers ? (float)Math.Round(v) : v).ToArray() : null;
        var expected = FloatGemmReference.Finish(acc, n, biasValues, relu);
        // No bias is an empty view (ILGPU cannot allocate from an empty array).
        using var dbias = biasValues is null ? null : device.Accelerator.Allocate1D(biasValues);
        ArrayView<float> biasView = dbias is null ? ArrayView<float>.Empty : dbias.View;
        using var dy = device.Accelerator.Allocate1D<float>((long)m * n);
        using var dh = device.Accelerator.Allocate1D<ushort>((long)m * n);
        using var da = fp16 ? (MemoryBuffer)device.Accelerator.Allocate1D(HalfConvert.FromFloats(a)) : device.Accelerator.Allocate1D(a);
        using var db = fp16 ? (MemoryBuffer)device.Accelerator.Allocate1D(HalfConvert.FromFloats(b)) : device.Accelerator.Allocate1D(b);
        if (halfOut)
        {
            variant.Run(device, Bytes(da), Bytes(db), p, new HalfOutEpilogue(dh.View, n, biasView, FloatEpilogue.Lo(relu)));
        }
        else
        {
            variant.Run(device, Bytes(da), Bytes(db), p, new FloatOutEpilogue(dy.View, n, biasView, FloatEpilogue.Lo(relu)));
        }

        device.Synchronize();
        float[] actual = halfOut ? HalfConvert.ToFloats(dh.GetAsArray1D()) : dy.GetAsArray1D();
        bool exact = !device.IsCuda || integers;
        float[] tol = exact ? new float[expected.Length] : FloatGemmReference.Tolerance(fp16 ? HalfConvert.ToFloats(HalfConvert.FromFloats(a)) : FloatGemmReference.RoundTf32(a), fp16 ? HalfConvert.ToFloats(HalfConvert.FromFloats(b)) : FloatGemmReference.RoundTf32(b), p);
        string what = $"{variant.Name} {p} ld={ld} seed {seed} integers={integers} halfOut={halfOut} bias={bias} relu={relu} on {device.Kind}";
        for (long i = 0; i < expected.Length; i++)
        {
            float want = halfOut ? HalfConvert.ToFloat(HalfConvert.FromFloat(expected[i])) : expected[i];
            if (exact)
            {
                Assert.True(BitConverter.SingleToInt32Bits(want) == BitConverter.SingleToInt32Bits(actual[i]), $"{what}: index {i} ({i / n}, {i % n}) is {actual[i]}, expected {want}");
                continue;
            }

            // FP16 output: the tolerance of the FP32 result plus one half rounding (2^-11 relative, 2^-25 absolute).
            float bound = tol[i] + (halfOut ? (Math.Abs(expected[i]) * (1f / 2048)) + 3e-8f : 0f);
            Assert.True(Math.Abs(actual[i] - expected[i]) <= bound, $"{what}: index {i} ({i / n}, {i % n}) is {actual[i]}, expected {expected[i]} ± {bound}");
        }
    }

    // The raw bytes of an operand buffer.
    private static ILGPU.ArrayView<sbyte> Bytes(MemoryBuffer buffer) => buffer switch
    {
        MemoryBuffer1D<ushort, ILGPU.Stride1D.Dense> h => h.View.AsContiguous().Cast<sbyte>(),
        MemoryBuffer1D<float, ILGPU.Stride1D.Dense> f => f.View.AsContiguous().Cast<sbyte>(),
        _ => throw new ArgumentException("FP16 or FP32 operand buffers only.", nameof(buffer)),
    };

    // rows × k values at stride ld (NaN in the padding): small integers (exact partial sums) or uniform [-1, 1),
    // already representable in the input precision (halves for FP16).
    private static float[] Values(int rows, int k, int ld, int seed, bool integers, bool fp16)
    {
        var random = new Random(seed);
        var x = new float[rows * ld];
        Array.Fill(x, float.NaN);
        for (var r = 0; r < rows; r++)
        {
            for (var j = 0; j < k; j++)
            {
                float v = integers ? random.Next(-4, 5) : (float)((random.NextDouble() * 2) - 1);
                x[(r * ld) + j] = fp16 ? HalfConvert.ToFloat(HalfConvert.FromFloat(v)) : v;
            }
        }

        return x;
    }
}
