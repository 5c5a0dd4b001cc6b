using System.Runtime.Intrinsics;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Layers.Runtime;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Cpu;

/// <summary>The RGB input convert (NCHW float, 3 channels → NHWC int8, <see cref="HostConvert.Rgb8"/>) against QuantMath, byte for byte.</summary>
public sealed unsafe class HostConvertRgbTests
{
    [Theory]
    [InlineData(8, 8, 0.5f)]
    [InlineData(16, 21, 1f / 127)]
    [InlineData(224 * 8, 224 * 224, 0.0173f)]
    public void Rgb8_equals_quantmath_per_value(int count, int hw, float scale)
    {
        Assert.SkipUnless(System.Runtime.Intrinsics.X86.Ssse3.IsSupported, "SSSE3 is not supported here.");
        var random = new Random(count + hw);
        var x = new float[3 * hw];
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = (float)((random.NextDouble() * 300) - 150) * scale;
        }

        // Edge values in every channel: ties at ±0.5, ±1.5, 126.5, ±127.5 (round half to even), beyond ±127, NaN, ±∞, −0.
        float[] edges = [0.5f, -0.5f, 1.5f, -1.5f, 126.5f, 127.5f, -127.5f, -128.4f, 1e9f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, 127f, -127f];
        for (var e = 0; e < edges.Length && e < count; e++)
        {
            for (var ch = 0; ch < 3; ch++)
            {
                x[(ch * hw) + ((e + ch) % count)] = edges[e] * scale;
            }
        }

        float inverse = QuantMath.Inverse(scale);
        var expected = new sbyte[3 * count];
        for (var p = 0; p < count; p++)
        {
            for (var ch = 0; ch < 3; ch++)
            {
                expected[(p * 3) + ch] = (sbyte)QuantMath.QuantizeWithInverse(x[(ch * hw) + p], inverse);
            }
        }

        // A guard byte after the output: the kernel writes exactly 3·count bytes.
        var y = new sbyte[(3 * count) + 1];
        y[^1] = 55;
        fixed (float* xp = x)
        fixed (sbyte* yp = y)
        {
            HostConvert.Rgb8(xp, hw, yp, count, Vector256.Create(inverse));
        }

        Assert.Equal(55, y[^1]);
        Exact.Equal<sbyte>(expected, y.AsSpan(0, 3 * count).ToArray(), $"rgb8 count {count} hw {hw} scale {scale}");
    }
}
