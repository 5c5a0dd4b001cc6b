using System.Runtime.CompilerServices;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Quantization;

namespace ILGPUInt8.Kernels.IntegerOnly;

/// <summary>
/// The integer-only rescale of an int32 value v from one scale to another, shared by the integer-only forms of
/// concatenation, average pooling, scale, LRN and the element-wise product and max: the real ratio m (scales, divisors,
/// coefficients, computed once in double when the engine is built) becomes a Q31 multiplier with shifts
/// (<see cref="FixedPointMultiplier.FromDouble"/>), and then y = clamp(RDBPOT(SRDHM(sat32((v + b)·2^l), M), r), lo, 127)
/// (<see cref="FixedPointMultiplier.Requantize(int, int, int, int, int, int)"/>) with integers only.
/// </summary>
public static class IntegerRescale
{
    /// <summary>(b, M, l, r) for the ratio m ≥ 0 and the bias b (in units of v).</summary>
    public static FixedPointChannel Create(double ratio, int bias = 0)
    {
        var (m, e) = FixedPointMultiplier.FromDouble(Math.Min(ratio, FixedPointMultiplier.Limit / 2));
        return new FixedPointChannel { Bias = bias, Multiplier = m, LeftShift = Math.Max(e, 0), RightShift = Math.Max(-e, 0) };
    }

    /// <summary>The channel that rescales from s_in to s_out: m = s_in/s_out.</summary>
    public static FixedPointChannel Ratio(float inputScale, float outputScale)
    {
        OpArgs.Scale(inputScale, nameof(inputScale));
        OpArgs.Scale(outputScale, nameof(outputScale));
        return Create((double)inputScale / outputScale);
    }

    /// <summary>y = clamp(RDBPOT(SRDHM(sat32((v + b)·2^l), M), r), lo, 127).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Apply(int v, FixedPointChannel c, int lo) =>
        FixedPointMultiplier.Requantize(v, c.Bias, c.Multiplier, c.LeftShift, c.RightShift, lo);
}
