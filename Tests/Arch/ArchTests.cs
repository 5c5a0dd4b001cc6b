using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Reference;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Arch;

public sealed class ArchTests
{
    private static readonly int[] EdgeWords =
    [
        0, -1, 1, unchecked((int)0x80808080), 0x7F7F7F7F, unchecked((int)0x81818181), int.MinValue, int.MaxValue,
        unchecked((int)0xFF00FF00), 0x00FF00FF, 0x7FFF8000, unchecked((int)0x80007FFF), 127, -128, 128, -129, 255, 256,
    ];

    [Fact]
    public void Integer_wrappers_match_reference_on_cpu() => CheckInteger(TestDevices.Cpu, 2048);

    [Fact]
    [Trait("Category", "Gpu")]
    public void Integer_wrappers_match_reference_on_gpu() => CheckInteger(TestDevices.Cuda, 1 << 20);

    [Fact]
    public void Packing_and_clamps_match_reference_on_cpu() => CheckPacking(TestDevices.Cpu, 2048);

    [Fact]
    [Trait("Category", "Gpu")]
    public void Packing_and_clamps_match_reference_on_gpu() => CheckPacking(TestDevices.Cuda, 1 << 20);

    [Fact]
    public void Float_to_int8_matches_reference_on_cpu() => CheckFloat(TestDevices.Cpu, 2048);

    [Fact]
    [Trait("Category", "Gpu")]
    public void Float_to_int8_matches_reference_on_gpu() => CheckFloat(TestDevices.Cuda, 1 << 20);

    [Theory]
    [InlineData(0.5f, 0)]
    [InlineData(1.5f, 2)]
    [InlineData(2.5f, 2)]
    [InlineData(-0.5f, 0)]
    [InlineData(-2.5f, -2)]
    [InlineData(126.5f, 126)]
    [InlineData(-127.5f, -127)]
    [InlineData(-128f, -127)]
    [InlineData(1e30f, 127)]
    [InlineData(float.NaN, 0)]
    [InlineData(float.PositiveInfinity, 127)]
    [InlineData(float.NegativeInfinity, -127)]
    public void Float_to_int8_edges(float x, int expected)
    {
        Assert.Equal(expected, ArchReference.FloatToInt8Symmetric(x));
        Assert.Equal(expected, Kernels.Arch.Saturate.FloatToInt8Symmetric(x));
    }

    [Fact]
    public void Mma_fallback_matches_reference_gemm_on_cpu() => CheckMma(TestDevices.Cpu, seeds: 4);

    [Fact]
    [Trait("Category", "Gpu")]
    public void Mma_ptx_matches_reference_gemm_on_gpu() => CheckMma(TestDevices.Cuda, seeds: 50);

    private static void CheckInteger(Int8Device device, int count)
    {
        var (a, b, c) = ProbeWords(count, seed: 1234);
        var expected = new int[count * ArchProbeKernels.IntegerOps];
        for (var i = 0; i < count; i++)
        {
            var o = i * ArchProbeKernels.IntegerOps;
            expected[o] = ArchReference.Dp4a(a[i], true, b[i], true, c[i]);
            expected[o + 1] = ArchReference.Dp4a(a[i], false, b[i], false, c[i]);
            expected[o + 2] = ArchReference.Dp4a(a[i], false, b[i], true, c[i]);
            expected[o + 3] = ArchReference.Dp4a(a[i], true, b[i], false, c[i]);
            expected[o + 4] = ArchReference.Dp2a(a[i], b[i], c[i], hi: false, signed: true);
            expected[o + 5] = ArchReference.Dp2a(a[i], b[i], c[i], hi: true, signed: true);
            expected[o + 6] = ArchReference.Dp2a(a[i], b[i], c[i], hi: false, signed: false);
            expected[o + 7] = ArchReference.Dp2a(a[i], b[i], c[i], hi: true, signed: false);
            expected[o + 8] = ArchReference.PackSaturated(a[i], b[i], c[i], a[i] ^ b[i]);
            expected[o + 9] = ArchReference.AddSaturate(a[i], b[i]);
            expected[o + 10] = (int)ArchReference.MulWide(a[i], c[i]);
            expected[o + 11] = (int)(ArchReference.MulWide(a[i], c[i]) >> 32);
        }

        var actual = RunTriples(device, "test.arch.integer", ArchProbeKernels.Integer, a, b, c, expected.Length);
        string[] names = ["dp4a.ss", "dp4a.uu", "dp4a.us", "dp4a.su", "dp2a.lo.ss", "dp2a.hi.ss", "dp2a.lo.uu", "dp2a.hi.uu", "cvt.pack.sat", "add.sat.s32", "mul.wide.s32 lo", "mul.wide.s32 hi"];
        CompareColumns(expected, actual, count, names, device);
    }

    // Edge words first (every pairing of a with shifted b and c), random words after.
    private static (int[] A, int[] B, int[] C) ProbeWords(int count, int seed)
    {
        var random = new Random(seed);
        var a = new int[count];
        var b = new int[count];
        var c = new int[count];
        var edges = EdgeWords.Length * EdgeWords.Length;
        for (var i = 0; i < count; i++)
        {
            if (i < edges)
            {
                a[i] = EdgeWords[i % EdgeWords.Length];
                b[i] = EdgeWords[i / EdgeWords.Length];
                c[i] = EdgeWords[((i * 5) + 3) % EdgeWords.Length];
            }
            else
            {
                a[i] = random.Next(int.MinValue, int.MaxValue);
                b[i] = random.Next(int.MinValue, int.MaxValue);
                c[i] = random.Next(int.MinValue, int.MaxValue);
            }
        }

        return (a, b, c);
    }

    private static int[] RunTriples(
        Int8Device device, string name, Action<Index1D, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>> probe, int[] a, int[] b, int[] c, int outputs)
    {
        var acc = device.Accelerator;
        using var da = acc.Allocate1D(a);
        using var db = acc.Allocate1D(b);
        using var dc = acc.Allocate1D(c);
        using var dout = acc.Allocate1D<int>(outputs);
        var kernel = device.GetKernel(name, x =>
            x.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>>(probe));
        kernel(a.Length, da.View, db.View, dc.View, dout.View);
        return dout.GetAsArray1D();
    }

    private static void CompareColumns(int[] expected, int[] actual, int count, string[] names, Int8Device device)
    {
        for (var op = 0; op < names.Length; op++)
        {
            var e = Enumerable.Range(0, count).Select(i => expected[(i * names.Length) + op]).ToArray();
            var g = Enumerable.Range(0, count).Select(i => actual[(i * names.Length) + op]).ToArray();
            Exact.Equal<int>(e, g, $"{names[op]} on {device.Kind}");
        }
    }

    private static void CheckPacking(Int8Device device, int count)
    {
        var (a, b, c) = ProbeWords(count, seed: 4321);
        var expected = new int[count * ArchProbeKernels.PackingOps];
        for (var i = 0; i < count; i++)
        {
            var o = i * ArchProbeKernels.PackingOps;
            expected[o] = ArchReference.PackBytes(a[i], b[i], c[i], a[i] ^ b[i]);
            for (var lane = 0; lane < 4; lane++)
            {
                expected[o + 1 + lane] = (int)ArchReference.Byte(a[i], lane, signed: true);
            }

            expected[o + 5] = ArchReference.PackHalves(a[i], b[i]);
            expected[o + 6] = (int)ArchReference.Half(a[i], 0, signed: true);
            expected[o + 7] = (int)ArchReference.Half(a[i], 1, signed: true);
            expected[o + 8] = ArchReference.Clamp(a[i], -128, 127);
            expected[o + 9] = ArchReference.Clamp(c[i] >> 23, -128, 127);
            expected[o + 10] = ArchReference.Clamp(c[i] >> 23, -127, 127);
            expected[o + 11] = ArchReference.Clamp(b[i] >> 23, 0, 127);
        }

        var actual = RunTriples(device, "test.arch.packing", ArchProbeKernels.Packing, a, b, c, expected.Length);
        string[] names = ["pack", "lane0", "lane1", "lane2", "lane3", "pack16", "half0", "half1", "clamp8", "clamp8 small", "clamp sym", "clamp relu"];
        CompareColumns(expected, actual, count, names, device);
    }

    private static void CheckFloat(Int8Device device, int count)
    {
        var random = new Random(99);
        float[] edges = [0.5f, 1.5f, 2.5f, -0.5f, -2.5f, 126.5f, 127.5f, -127.5f, -128f, -128.5f, 1e30f, -1e30f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, float.Epsilon];
        // Every half-integer and integer in [-130, 130] with its two float neighbours (the rounding boundaries).
        var near = new List<float>(edges);
        for (var k = -130; k <= 130; k++)
        {
            foreach (var v in new[] { k + 0.5f, (float)k })
            {
                near.AddRange([MathF.BitDecrement(v), v, MathF.BitIncrement(v)]);
            }
        }

        edges = [.. near];
        Assert.True(edges.Length <= count, "the edge list must fit in the probe");
        var x = new float[count];
        for (var i = 0; i < count; i++)
        {
            x[i] = i < edges.Length ? edges[i] : (float)((random.NextDouble() * 300) - 150);
            if (i % 3 == 0 && i >= edges.Length)
            {
                x[i] = MathF.Round(x[i]) + 0.5f; // exact halves
            }
        }

        var expected = x.Select(ArchReference.FloatToInt8Symmetric).ToArray();
        var acc = device.Accelerator;
        using var dx = acc.Allocate1D(x);
        using var dout = acc.Allocate1D<int>(count);
        var kernel = device.GetKernel("test.arch.float", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>>(ArchProbeKernels.FloatToInt8));
        kernel(count, dx.View, dout.View);
        Exact.Equal<int>(expected, dout.GetAsArray1D(), $"cvt.rni.sat.s8.f32 on {device.Kind}");
    }

    private static void CheckMma(Int8Device device, int seeds)
    {
        var acc = device.Accelerator;
        var kernel = device.GetKernel("test.arch.mma", a =>
            a.LoadStreamKernel<ArrayView<int>, ArrayView<int>, ArrayView<int>>(ArchProbeKernels.MmaTile));
        for (var seed = 0; seed < seeds; seed++)
        {
            var (a, w, c) = MmaCase(seed);
            var expected = GemmReference.Accumulate(a, w, new GemmProblem(16, 8, 32));
            for (var i = 0; i < expected.Length; i++)
            {
                expected[i] = unchecked(expected[i] + c[i]);
            }

            using var da = acc.Allocate1D(Words(a));
            using var dw = acc.Allocate1D(Words(w));
            using var dd = acc.Allocate1D(c);
            kernel(new KernelConfig(1, 32), da.View, dw.View, dd.View);
            Exact.Equal<int>(expected, dd.GetAsArray1D(), $"mma.m16n8k32 seed {seed} on {device.Kind}");
        }
    }

    // Seeds 0 and 1: all-extreme operands (|sum| = 32·128·128) on C = int32 extremes, so D wraps; then random tiles.
    private static (sbyte[] A, sbyte[] W, int[] C) MmaCase(int seed)
    {
        int[] extremes = [int.MaxValue, int.MinValue, int.MinValue + 1, int.MaxValue - 1];
        var c = Enumerable.Range(0, 16 * 8).Select(i => extremes[i % 4]).ToArray();
        return seed switch
        {
            0 => (Enumerable.Repeat((sbyte)-128, 16 * 32).ToArray(), Enumerable.Repeat((sbyte)-128, 8 * 32).ToArray(), c),
            1 => (Enumerable.Repeat((sbyte)127, 16 * 32).ToArray(), Enumerable.Repeat((sbyte)-128, 8 * 32).ToArray(), c),
            _ => (TestData.Int8(16 * 32, seed), TestData.Int8(8 * 32, seed + 1000), TestData.Int32(16 * 8, seed + 2000, -100000, 100000)),
        };
    }

    private static int[] Words(sbyte[] bytes)
    {
        var words = new int[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, words, 0, bytes.Length);
        return words;
    }
}
