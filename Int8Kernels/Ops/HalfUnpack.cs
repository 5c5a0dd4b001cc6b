using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Ops;

/// <summary>
/// 2-byte half storage to float words: y[i] = <see cref="HalfConvert.ToFloat"/>(x[i]) (exact: every half is a float; ±∞,
/// NaN and subnormals kept), one thread an element. The inverse of <see cref="HalfPack"/> on half values: FP16 tensors
/// of the engine are stored as halves, and a float kernel reads them through this copy.
/// </summary>
public static class HalfUnpack
{
    /// <summary>Unpacks the first <paramref name="count"/> half bit patterns of <paramref name="x"/> into <paramref name="y"/>.</summary>
    public static void Run(Int8Device device, ArrayView<ushort> x, ArrayView<float> y, long count)
    {
        ArgumentNullException.ThrowIfNull(device);
        OpArgs.AtLeast(x.Length, count, nameof(x));
        OpArgs.AtLeast(y.Length, count, nameof(y));
        if (count == 0)
        {
            return;
        }

        var kernel = device.GetKernel("half.unpack", a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<ushort>, ArrayView<float>>(Kernel));
        kernel(checked((int)count), x, y);
    }

    /// <summary>Thread i unpacks element i.</summary>
    internal static void Kernel(Index1D i, ArrayView<ushort> x, ArrayView<float> y) => y[i] = HalfConvert.ToFloat(x[i]);
}
