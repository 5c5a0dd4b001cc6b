using ILGPUInt8.Kernels.Cpu;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Reference;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Cpu;

public sealed class CpuGemmTests
{
    public static TheoryData<CpuIsa, int, int, int> Cases()
    {
        var data = new TheoryData<CpuIsa, int, int, int>();
        (int M, int N, int K)[] shapes = [(1, 1, 1), (3, 5, 7), (4, 8, 4), (17, 9, 33), (64, 70, 130), (5, 256, 1023)];
        foreach (var isa in Enum.GetValues<CpuIsa>())
        {
            foreach (var (m, n, k) in shapes)
            {
                data.Add(isa, m, n, k);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_isa_variant_matches_reference(CpuIsa isa, int m, int n, int k)
    {
        Assert.SkipUnless(CpuIsaSupport.IsSupported(isa), $"{isa} is not supported on this processor.");
        var a = TestData.Int8(m * k, seed: m + n + k, lo: -127);
        var b = TestData.Int8(n * k, seed: m * n * k, lo: -127);
        var packed = new PackedB(b, n, k, isa);
        var c = new int[m * n];
        CpuGemmS8.Run(a, packed, c, m);
        Exact.Equal<int>(GemmReference.Accumulate(a, b, new GemmProblem(m, n, k)), c, $"cpu {isa} M={m} N={n} K={k}");
    }

    [Fact]
    public void Extreme_values_do_not_saturate()
    {
        // All 127 / -127 over a long K: any int16 intermediate (vpmaddubsw) would saturate here.
        const int m = 4, n = 8, k = 4096;
        var a = Enumerable.Repeat((sbyte)127, m * k).ToArray();
        var b = Enumerable.Range(0, n * k).Select(i => (sbyte)(i % 2 == 0 ? -127 : 127)).ToArray();
        var expected = GemmReference.Accumulate(a, b, new GemmProblem(m, n, k));
        foreach (var isa in Enum.GetValues<CpuIsa>().Where(CpuIsaSupport.IsSupported))
        {
            var c = new int[m * n];
            CpuGemmS8.Run(a, new PackedB(b, n, k, isa), c, m);
            Exact.Equal<int>(expected, c, $"cpu {isa} extremes");
        }
    }

    [Fact]
    public void Bad_sizes_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => new PackedB(new sbyte[10], 4, 4, CpuIsa.Scalar));
        var packed = new PackedB(new sbyte[16], 4, 4, CpuIsa.Scalar);
        Assert.Equal("a", Assert.Throws<ArgumentException>(() => CpuGemmS8.Run(new sbyte[7], packed, new int[8], 2)).ParamName);
        Assert.Equal("c", Assert.Throws<ArgumentException>(() => CpuGemmS8.Run(new sbyte[8], packed, new int[7], 2)).ParamName);
    }
}
