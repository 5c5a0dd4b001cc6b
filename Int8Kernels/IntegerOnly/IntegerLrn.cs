using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.FixedPoint;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.IntegerOnly;

/// <summary>
/// Integer-only LRN across channels of int8 NHWC data, y_c = x_c · (k + α/n · Σ_{window} x_j²)^−β with integers and
/// shifts only (the constants are made once in double when the engine is built, <see cref="Create"/>):
/// <list type="bullet">
/// <item>S = Σ q_j² over j in [c − ⌊(n−1)/2⌋, c + ⌊n/2⌋] ∩ [0, C) (int32, ≤ n·2^14);</item>
/// <item>d = k + a·S in Q·F, a = α/n·s_in²: d_F = sat32(K_F + RoundingShift(S·M_a, 31 − e_a)), K_F = round(k·2^F),
/// (M_a, e_a) the Q31 multiplier of a·2^F, F the largest in [0, 30] with (k + a·n·2^14)·2^F &lt; 2^30;</item>
/// <item>p = d^−β in Q·P by <see cref="FixedPointExp.Pow"/> (−β in Q·26), P the largest in [0, 22] with max p·2^P ≤ 2^22;</item>
/// <item>y = <see cref="IntegerRescale.Apply"/>(q·p, s_in/(s_out·2^P), −127) (|q·p| ≤ 2^29).</item>
/// </list>
/// </summary>
public static class IntegerLrn
{
    /// <summary>The constants of one LRN (all integers).</summary>
    /// <param name="Before">⌊(n−1)/2⌋ channels before c.</param>
    /// <param name="After">⌊n/2⌋ channels after c.</param>
    /// <param name="KF">K_F = round(k·2^F).</param>
    /// <param name="MA">M_a, the Q31 multiplier of a·2^F.</param>
    /// <param name="ShiftA">31 − e_a (the right shift of S·M_a).</param>
    /// <param name="F">Fraction bits of d.</param>
    /// <param name="NegBeta">−β in Q·26.</param>
    /// <param name="P">Fraction bits of p.</param>
    /// <param name="Output">The rescale from q·p to the output: s_in/(s_out·2^P).</param>
    public readonly record struct Parameters(int Before, int After, int KF, int MA, int ShiftA, int F, int NegBeta, int P, FixedPointChannel Output);

    /// <summary>The constants for window n, α, β, k and the scales.</summary>
    public static Parameters Create(int window, float alpha, float beta, float k, float inputScale, float outputScale)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(window);
        if (!float.IsFinite(alpha) || alpha < 0f || !float.IsFinite(beta) || Math.Abs(beta) >= 16f || !(k > 0f) || !float.IsFinite(k))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), $"alpha ({alpha}) must be finite and ≥ 0, |beta| ({beta}) < 16 and k ({k}) finite and > 0.");
        }

        OpArgs.Scale(inputScale, nameof(inputScale));
        OpArgs.Scale(outputScale, nameof(outputScale));
        double a = (double)alpha / window * inputScale * inputScale;
        double dMax = k + (a * window * 16384.0);
        int f = 30;
        while (f > 0 && dMax * Math.ScaleB(1.0, f) >= 1 << 30)
        {
            f--;
        }

        var (ma, ea) = FixedPointMultiplier.FromDouble(Math.Min(a * Math.ScaleB(1.0, f), FixedPointMultiplier.Limit / 2));
        int kf = (int)Math.Min(Math.Round(k * Math.ScaleB(1.0, f)), int.MaxValue);

        // The largest p = d^−β: at d = k for β ≥ 0, at d = dMax for β < 0.
        double pMax = Math.Pow(beta >= 0 ? k : dMax, -beta);
        int pBits = 22;
        while (pBits > 0 && pMax * Math.ScaleB(1.0, pBits) > 1 << 22)
        {
            pBits--;
        }

        int negBeta = (int)Math.Round(-beta * (double)(1 << 26));
        var output = IntegerRescale.Create((double)inputScale / outputScale / Math.ScaleB(1.0, pBits));
        return new Parameters((window - 1) / 2, window / 2, kf, ma, 31 - ea, f, negBeta, pBits, output);
    }

    /// <summary>y for input q with window sum of squares <paramref name="sumOfSquares"/> (the class formula).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Apply(int q, int sumOfSquares, Parameters p)
    {
        long term = FixedPointOps.ShiftSaturating((long)sumOfSquares * p.MA, -p.ShiftA);
        int d = FixedPointOps.Clamp32(p.KF + term);
        int power = FixedPointExp.Pow(d, p.F, p.NegBeta, 26, p.P);
        return IntegerRescale.Apply(q * power, p.Output, -127);
    }

    /// <summary>y over <paramref name="pixels"/> pixels of <paramref name="channels"/> int8 channels (NHWC) on the device (asynchronous).</summary>
    public static void Run(Int8Device device, ArrayView<sbyte> x, ArrayView<sbyte> y, int pixels, int channels, Parameters p)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        OpArgs.AtLeast(x.Length, (long)pixels * channels, nameof(x));
        OpArgs.AtLeast(y.Length, (long)pixels * channels, nameof(y));
        if (pixels <= 0)
        {
            return;
        }

        var kernel = device.GetKernel("lrn.s8.q31", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<sbyte>, ArrayView<sbyte>, int, Parameters>(Kernel));
        kernel(checked(pixels * channels), x, y, channels, p);
    }

    /// <summary>Thread i = pixel·C + c: the window sum of squares, then <see cref="Apply"/>.</summary>
    internal static void Kernel(Index1D i, ArrayView<sbyte> x, ArrayView<sbyte> y, int channels, Parameters p)
    {
        int t = i;
        int c = t % channels;
        long row = (long)t - c;
        int j0 = c - p.Before < 0 ? 0 : c - p.Before;
        int j1 = c + p.After > channels - 1 ? channels - 1 : c + p.After;
        int sum = 0;
        for (int j = j0; j <= j1; j++)
        {
            int v = x[row + j];
            sum += v * v;
        }

        y[t] = (sbyte)Apply(x[t], sum, p);
    }
}
