using Xunit;

namespace ILGPUInt8.Tests.Infrastructure;

/// <summary>Float comparison within |e − a| ≤ atol + rtol·|e| that names the case and the first bad index.</summary>
public static class Close
{
    /// <summary>Fails with the case and the worst index when a value is outside the tolerance.</summary>
    public static void Equal(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what, float rtol = 1e-4f, float atol = 1e-5f)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: length {actual.Length}, expected {expected.Length}");
        for (var i = 0; i < expected.Length; i++)
        {
            var e = expected[i];
            var a = actual[i];
            if (float.IsNaN(e) && float.IsNaN(a))
            {
                continue;
            }

            if (!(Math.Abs(e - a) <= atol + (rtol * Math.Abs(e))) && !(float.IsInfinity(e) && e == a))
            {
                Assert.Fail($"{what}: first bad index {i}: got {a:R}, expected {e:R} (rtol {rtol}, atol {atol})");
            }
        }
    }
}
