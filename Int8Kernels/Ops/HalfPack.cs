using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Ops;

/// <summary>
/// Float words to 2-byte half storage: y[i] = <see cref="HalfConvert.FromFloat"/>(x[i]) (round-to-nearest-even,
/// overflow to ±∞, subnormals kept; exact for the half values an FP16 tensor of the engine holds), one thread an element.
/// Feeds the FP16 implicit-GEMM convolution (<see cref="Convolution.ConvFloat"/>) from the engine's float words.
/// </summary>
public static class HalfPack
{
    /// <summary>Packs the first <paramref name="count"/> elements of <paramref name="x"/> into <paramref name="y"/> (half bit patterns).</summary>
    public static void Run(Int8Device device, ArrayView<float> x, ArrayView<ushort> y, long count)
    {
        ArgumentNullException.ThrowIfNull(device);
        OpArgs.AtLeast(x.Length, count, nameof(x));
        OpArgs.AtLeast(y.Length, count, nameof(y));
        if (count == 0)
        {
            return;
        }

        var kernel = device.GetKernel("half.pack", a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<ushort>>(Kernel));
        kernel(checked((int)count), x, y);
    }

    /// <summary>Thread i packs element i.</summary>
    internal static void Kernel(Index1D i, ArrayView<float> x, ArrayView<ushort> y) => y[i] = HalfConvert.FromFloat(x[i]);
}
