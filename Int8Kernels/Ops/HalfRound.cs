using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Ops;

/// <summary>
/// The store of an FP16 step: every element of a float tensor replaced by the nearest half,
/// y[i] = <see cref="HalfConvert.Round(float)"/>(x[i]) (round-to-nearest-even, overflow to ±∞, subnormals kept; y may be
/// x), one thread an element. FP16 tensors of the engine hold these half values in float words (FP32 arithmetic on FP16
/// values): the same numbers as 16-bit storage, read by every float kernel unchanged.
/// </summary>
public static class HalfRound
{
    /// <summary>Rounds the first <paramref name="count"/> elements of <paramref name="x"/> to halves into <paramref name="y"/> (may be <paramref name="x"/>).</summary>
    public static void Run(Int8Device device, ArrayView<float> x, ArrayView<float> y, long count)
    {
        ArgumentNullException.ThrowIfNull(device);
        OpArgs.AtLeast(x.Length, count, nameof(x));
        OpArgs.AtLeast(y.Length, count, nameof(y));
        if (count == 0)
        {
            return;
        }

        var kernel = device.GetKernel("half.round", a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>>(Kernel));
        kernel(checked((int)count), x, y);
    }

    /// <summary>Thread i rounds element i.</summary>
    internal static void Kernel(Index1D i, ArrayView<float> x, ArrayView<float> y) => y[i] = HalfConvert.Round(x[i]);
}
