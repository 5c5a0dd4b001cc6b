using Xunit;

namespace ILGPUInt8.Tests.Infrastructure;

/// <summary>Bit-exact comparison that names the case and the first differing index.</summary>
public static class Exact
{
    /// <summary>Fails with the case description and the first bad index when the arrays differ.</summary>
    public static void Equal<T>(ReadOnlySpan<T> expected, ReadOnlySpan<T> actual, string what)
        where T : IEquatable<T>
    {
        Assert.True(expected.Length == actual.Length, $"{what}: length {actual.Length}, expected {expected.Length}");
        for (var i = 0; i < expected.Length; i++)
        {
            if (!expected[i].Equals(actual[i]))
            {
                var bad = 0;
                for (var j = i; j < expected.Length; j++)
                {
                    bad += expected[j].Equals(actual[j]) ? 0 : 1;
                }

                Assert.Fail($"{what}: first bad index {i}: got {actual[i]}, expected {expected[i]} ({bad} of {expected.Length} differ)");
            }
        }
    }

    /// <summary>Float arrays equal bit for bit (NaN equal to NaN of the same bits).</summary>
    public static void EqualBits(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: length {actual.Length}, expected {expected.Length}");
        for (var i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                Assert.Fail($"{what}: first bad index {i}: got {actual[i]:R}, expected {expected[i]:R}");
            }
        }
    }
}
