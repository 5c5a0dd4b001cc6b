using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.FixedPoint;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.IntegerOnly;

/// <summary>
/// Integer-only softmax over the channels of [pixels, channels], int8 in (scale s) and int8 out (scale 1/127):
/// E[d] = exp(−d·s) in Q0.31 for d = q_max − q ∈ [0, 255] (<see cref="FixedPointExp.ExpOnNegative"/> of d·s in Q5.26,
/// saturated at −32, where exp is below 2^−46 and the entry 0), built once with integers;
/// sum = Σ_j E[q_max − q_j] (int64, at least E[0] = 2^31 − 1);
/// y_c = ⌊(254·E[q_max − q_c] + sum) / (2·sum)⌋ = round_half_up(127 · E_c / sum), in [0, 127].
/// No float anywhere at run time; the division is a 64-bit integer division. One thread a pixel on the GPU, the same
/// <see cref="Output"/> on the host, so both are bit-exact with the reference.
/// </summary>
public static class IntegerSoftMax
{
    /// <summary>The output threshold: y = 127·p, scale 1/127.</summary>
    public const float OutputThreshold = 1f;

    /// <summary>E[d] = exp(−d·s) in Q0.31 for d in [0, 255], integers only after s becomes Q31 (<see cref="IntegerActivation.InputQ26"/>).</summary>
    public static int[] ExpTable(float inputScale)
    {
        OpArgs.Scale(inputScale, nameof(inputScale));
        var e = new int[256];
        for (var d = 0; d < 256; d++)
        {
            long x = IntegerActivation.InputQ26(d, inputScale);
            e[d] = FixedPointExp.ExpOnNegative((int)Math.Max(-x, int.MinValue));
        }

        return e;
    }

    /// <summary>y = round_half_up(127 · e / sum) = ⌊(254·e + sum) / (2·sum)⌋ for 0 ≤ e ≤ sum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Output(int e, long sum) => (int)(((254L * e) + sum) / (2 * sum));

    /// <summary>One pixel's channels on the host (the reference and the CPU backend): the formula of the class.</summary>
    public static void Row(ReadOnlySpan<sbyte> x, Span<sbyte> y, ReadOnlySpan<int> exp)
    {
        int max = -128;
        foreach (var v in x)
        {
            max = Math.Max(max, v);
        }

        long sum = 0;
        foreach (var v in x)
        {
            sum += exp[max - v];
        }

        for (var c = 0; c < x.Length; c++)
        {
            y[c] = (sbyte)Output(exp[max - x[c]], sum);
        }
    }

    /// <summary>The GPU (ILGPU) softmax, asynchronous; <paramref name="exp"/> is <see cref="ExpTable"/>.</summary>
    public static void Run(Int8Device device, ArrayView<sbyte> x, ArrayView<sbyte> y, ArrayView<int> exp, int pixels, int channels)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pixels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        OpArgs.AtLeast(x.Length, (long)pixels * channels, nameof(x));
        OpArgs.AtLeast(y.Length, (long)pixels * channels, nameof(y));
        OpArgs.AtLeast(exp.Length, 256, nameof(exp));
        var kernel = device.GetKernel("softmax.s8.integer", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<sbyte>, ArrayView<sbyte>, ArrayView<int>, int>(Kernel));
        kernel(pixels, x, y, exp, channels);
    }

    /// <summary>Thread p: the integer softmax of pixel p's channels.</summary>
    internal static void Kernel(Index1D p, ArrayView<sbyte> x, ArrayView<sbyte> y, ArrayView<int> exp, int channels)
    {
        long start = (long)(int)p * channels;
        int max = -128;
        for (int c = 0; c < channels; c++)
        {
            int v = x[start + c];
            max = v > max ? v : max;
        }

        long sum = 0;
        for (int c = 0; c < channels; c++)
        {
            sum += exp[max - x[start + c]];
        }

        for (int c = 0; c < channels; c++)
        {
            y[start + c] = (sbyte)Output(exp[max - x[start + c]], sum);
        }
    }
}
