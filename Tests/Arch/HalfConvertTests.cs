using ILGPUInt8.Kernels.Arch;
using Xunit;

namespace ILGPUInt8.Tests.Arch;

/// <summary>
/// <see cref="HalfConvert"/> against .NET's <see cref="Half"/> (IEEE binary16, round to nearest even): every one of the
/// 65536 halves to float, and floats to half at the edges (ties, subnormals, overflow) and at random. And TF32 rounding.
/// </summary>
public sealed class HalfConvertTests
{
    [Fact]
    public void Every_half_converts_to_the_same_float_as_dotnet()
    {
        for (int bits = 0; bits < 65536; bits++)
        {
            float expected = (float)BitConverter.UInt16BitsToHalf((ushort)bits);
            float actual = HalfConvert.ToFloat(bits);
            Assert.True(float.IsNaN(expected) ? float.IsNaN(actual) : BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual), $"half 0x{bits:X4}: {actual} vs {expected}");
        }
    }

    [Fact]
    public void Floats_round_to_nearest_even_half_like_dotnet()
    {
        var values = new List<float>
        {
            0f, -0f, 1f, -1f, 65504f, 65519.99f, 65520f, -65520f, 1e10f, float.PositiveInfinity, float.NegativeInfinity, float.NaN,
            6.1035156E-05f, 6.1035152E-05f, 5.9604645E-08f, 2.9802322E-08f, 2.9802326E-08f, 8.940697E-08f, 1e-10f, float.Epsilon,
            1.0009766f, 1.00048828125f, 1.00146484375f, 2049f, 2051f, 3.4028235E+38f,
        };
        var random = new Random(16);
        for (int i = 0; i < 200_000; i++)
        {
            // Random bit patterns over the whole range, and over the half range where the rounding matters.
            values.Add(BitConverter.Int32BitsToSingle(random.Next(int.MinValue, int.MaxValue)));
            values.Add(BitConverter.Int32BitsToSingle(random.Next(0x33000000, 0x47800000) | (random.Next(2) << 31)));
        }

        foreach (float v in values)
        {
            ushort expected = BitConverter.HalfToUInt16Bits((Half)v);
            ushort actual = HalfConvert.FromFloat(v);
            Assert.True(float.IsNaN(v) ? (actual & 0x7C00) == 0x7C00 && (actual & 0x3FF) != 0 : expected == actual, $"{v:R} (0x{BitConverter.SingleToInt32Bits(v):X8}): 0x{actual:X4} vs 0x{expected:X4}");
        }
    }

    [Theory]
    [InlineData(0x3F800000, 0x3F800000)] // 1 stays
    [InlineData(0x3F800FFF, 0x3F800000)] // below the half-way point: down
    [InlineData(0x3F801000, 0x3F802000)] // the tie: away from zero
    [InlineData(unchecked((int)0xBF801000), unchecked((int)0xBF802000))] // negative tie: away from zero
    [InlineData(0x3F9FF000, 0x3FA00000)] // carry through the mantissa
    [InlineData(0x7F7FFFFF, 0x7F800000)] // the largest float rounds to ∞
    public void Tf32_rounds_to_nearest_ties_away(int bits, int expected) =>
        Assert.Equal(expected, MmaFloat.Tf32Round(bits));
}
