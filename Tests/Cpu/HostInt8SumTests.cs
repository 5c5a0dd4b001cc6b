using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Layers.Operators;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Cpu;

public sealed unsafe class HostInt8SumTests
{
    [Theory]
    [InlineData(0.01f, 0.02f, 0.015f, 0, true)]
    [InlineData(0.5f, 0.5f, 1f, -127, true)]
    [InlineData(1f, 1e-3f, 1f, -127, true)]
    [InlineData(0.003f, 0.007f, 0.0001f, 0, true)]
    [InlineData(1f, 1f, 1f, -127, true)]
    [InlineData(3e4f, 2f, 1e-4f, -127, true)]
    [InlineData(0.01f, 0.02f, 0.015f, 0, false)]
    [InlineData(0.5f, 0.5f, 1f, -127, false)]
    [InlineData(1f, 1e-3f, 1f, -127, false)]
    [InlineData(0.003f, 0.007f, 0.0001f, 0, false)]
    [InlineData(1f, 1f, 1f, -127, false)]
    public void Vector_sum_equals_the_integer_formula(float sa, float sb, float sy, int lo, bool allow512)
    {
        // allow512: the int64 lanes where the CPU has AVX-512 (else, and with false, the double lanes).
        const int n = 1003;
        var a = TestData.Int8(n, seed: 1);
        var b = TestData.Int8(n, seed: 2);
        for (var i = 0; i < TestData.Int8Edges.Length; i++)
        {
            a[i] = TestData.Int8Edges[i];
            b[i + 7] = TestData.Int8Edges[i];
            a[i + 14] = TestData.Int8Edges[i];
            b[i + 14] = TestData.Int8Edges[^(i + 1)];
        }

        var (ma, mb, shift) = Int8ElementWise.SumParameters(sa, sb, sy);
        var y = new sbyte[n];
        fixed (sbyte* ap = a)
        fixed (sbyte* bp = b)
        fixed (sbyte* yp = y)
        {
            var end = HostInt8Sum.Run(ap, bp, yp, 0, n, ma, mb, shift, lo, allow512);
            Assert.Equal(n / 8 * 8, end);
            for (var i = (int)end; i < n; i++)
            {
                y[i] = (sbyte)Int8ElementWise.Sum(a[i], b[i], ma, mb, shift, lo);
            }
        }

        var expected = a.Select((v, i) => (sbyte)Int8ElementWise.Sum(v, b[i], ma, mb, shift, lo)).ToArray();
        Exact.Equal<sbyte>(expected, y, $"int8 sum sa={sa} sb={sb} sy={sy} lo={lo}");
    }
}
