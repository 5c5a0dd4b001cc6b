using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Ops;

/// <summary>
/// Element-wise activation, any layout. Float: y[i] = f(x[i]) with f a struct type parameter. Half (2-byte halves):
/// y[i] = half_RNE(f(float(x[i]))), the float function on the widened value, one rounding.
/// Int8: y[i] = lut[x[i] + 128], the 256-entry table of <see cref="Int8LookupTable"/> (exact for every function).
/// Launches are asynchronous on the default stream; arguments are checked on the host first.
/// </summary>
public static class Activation
{
    /// <summary>y = f(x) over floats (x and y may be the same view).</summary>
    public static void Float(Int8Device device, ArrayView<float> x, ArrayView<float> y, ActivationSpec activation)
    {
        if (Checked(device, x.Length, y.Length, activation))
        {
            var launcher = new FloatLauncher(device, x, y);
            activation.Accept(ref launcher);
        }
    }

    /// <summary>y = half(f(float(x))) over 2-byte halves (x and y may be the same view).</summary>
    public static void Half(Int8Device device, ArrayView<ushort> x, ArrayView<ushort> y, ActivationSpec activation)
    {
        if (Checked(device, x.Length, y.Length, activation))
        {
            var launcher = new HalfLauncher(device, x, y);
            activation.Accept(ref launcher);
        }
    }

    // The arguments checked; false when there is nothing to compute.
    private static bool Checked(Int8Device device, long x, long y, ActivationSpec activation)
    {
        ArgumentNullException.ThrowIfNull(device);
        OpArgs.SameLength(x, y, nameof(y));
        activation.Validate(nameof(activation));
        return x != 0;
    }

    /// <summary>y = lut[x + 128] over int8 (x and y may be the same view); <paramref name="lut"/> holds 256 entries.</summary>
    public static void Int8(Int8Device device, ArrayView<sbyte> x, ArrayView<sbyte> y, ArrayView<sbyte> lut)
    {
        ArgumentNullException.ThrowIfNull(device);
        OpArgs.SameLength(x.Length, y.Length, nameof(y));
        if (lut.Length < 256)
        {
            throw new ArgumentException($"The lookup table has {lut.Length} entries; 256 are needed.", nameof(lut));
        }

        if (x.Length == 0)
        {
            return;
        }

        var kernel = device.GetKernel("act.s8.lut", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<sbyte>, ArrayView<sbyte>, ArrayView<sbyte>>(LutKernel));
        kernel((int)x.Length, x, y, lut);
    }

    /// <summary>Thread i: y[i] = f(x[i]).</summary>
    internal static void FloatKernel<TAct>(Index1D i, ArrayView<float> x, ArrayView<float> y, TAct act)
        where TAct : struct, IActivation =>
        y[i] = act.Apply(x[i]);

    /// <summary>Thread i: y[i] = half(f(float(x[i]))).</summary>
    internal static void HalfKernel<TAct>(Index1D i, ArrayView<ushort> x, ArrayView<ushort> y, TAct act)
        where TAct : struct, IActivation =>
        y[i] = HalfConvert.FromFloat(act.Apply(HalfConvert.ToFloat(x[i])));

    /// <summary>Thread i: y[i] = lut[x[i] + 128].</summary>
    internal static void LutKernel(Index1D i, ArrayView<sbyte> x, ArrayView<sbyte> y, ArrayView<sbyte> lut) =>
        y[i] = lut[x[i] + 128];

    private readonly struct FloatLauncher(Int8Device device, ArrayView<float> x, ArrayView<float> y) : IActivationVisitor
    {
        public void Visit<TAct>(TAct activation)
            where TAct : struct, IActivation
        {
            var kernel = device.GetKernel("act.f32." + typeof(TAct).Name, a =>
                a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, TAct>(FloatKernel));
            kernel((int)x.Length, x, y, activation);
        }
    }

    private readonly struct HalfLauncher(Int8Device device, ArrayView<ushort> x, ArrayView<ushort> y) : IActivationVisitor
    {
        public void Visit<TAct>(TAct activation)
            where TAct : struct, IActivation
        {
            var kernel = device.GetKernel("act.f16." + typeof(TAct).Name, a =>
                a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<ushort>, ArrayView<ushort>, TAct>(HalfKernel));
            kernel((int)x.Length, x, y, activation);
        }
    }
}
