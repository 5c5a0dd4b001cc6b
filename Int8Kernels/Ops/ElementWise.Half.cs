using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Ops;

/// <summary>The FP16 element-wise operations: 2-byte half operands and result, FP32 arithmetic.</summary>
public static partial class ElementWise
{
    /// <summary>
    /// y = half_RNE(f(float(a) op float(b))) over 2-byte halves (asynchronous): the arithmetic of <see cref="Float"/> on the
    /// widened values, one rounding (<see cref="HalfConvert.FromFloat"/>) as it stores. b may be shorter than a and repeat
    /// (b index = i mod len(b)). Even lengths on 4-byte aligned views run two halves a thread (32-bit words), others one.
    /// </summary>
    public static void Half(Int8Device device, ArrayView<ushort> a, ArrayView<ushort> b, ArrayView<ushort> y, ElementWiseOperation operation, ActivationSpec activation)
    {
        if (Checked(device, a.Length, b.Length, y.Length, activation))
        {
            var launch = new HalfLaunch(device, a, b, y, activation);
            ForOperation(operation, ref launch);
        }
    }

    /// <summary>Thread i: y[i] = half(f(a[i] op b[i mod len(b)])).</summary>
    internal static void HalfKernel<TOp, TAct>(Index1D i, ArrayView<ushort> a, ArrayView<ushort> b, ArrayView<ushort> y, int bLength, TAct act)
        where TOp : struct, IFloatBinary
        where TAct : struct, IActivation =>
        y[i] = HalfConvert.FromFloat(act.Apply(default(TOp).Apply(HalfConvert.ToFloat(a[i]), HalfConvert.ToFloat(b[i % bLength]))));

    /// <summary>Thread i: the pair of halves in word i, y2[i] = (half(f(lo(a) op lo(b))), half(f(hi(a) op hi(b)))), b2 index i mod len(b2).</summary>
    internal static void HalfPairKernel<TOp, TAct>(Index1D i, ArrayView<int> a, ArrayView<int> b, ArrayView<int> y, int bLength, TAct act)
        where TOp : struct, IFloatBinary
        where TAct : struct, IActivation
    {
        int x = a[i], z = b[i % bLength];
        var op = default(TOp);
        y[i] = HalfConvert.Pack(
            act.Apply(op.Apply(HalfConvert.Low(x), HalfConvert.Low(z))),
            act.Apply(op.Apply(HalfConvert.High(x), HalfConvert.High(z))));
    }

    // The view starts on a 4-byte boundary.
    private static bool Words(ArrayView<ushort> v) => ((IContiguousArrayView)v).IndexInBytes % 4 == 0;

    private readonly struct HalfLaunch(Int8Device device, ArrayView<ushort> a, ArrayView<ushort> b, ArrayView<ushort> y, ActivationSpec activation) : IOperationVisitor
    {
        public void Visit<TOp>()
            where TOp : struct, IFloatBinary
        {
            var launcher = new HalfLauncher<TOp>(device, a, b, y);
            activation.Accept(ref launcher);
        }
    }

    private readonly struct HalfLauncher<TOp>(Int8Device device, ArrayView<ushort> a, ArrayView<ushort> b, ArrayView<ushort> y) : IActivationVisitor
        where TOp : struct, IFloatBinary
    {
        public void Visit<TAct>(TAct activation)
            where TAct : struct, IActivation
        {
            if (b.Length % 2 == 0 && Words(a) && Words(b) && Words(y))
            {
                // a's length is a multiple of b's, so even too; every view starts on a 4-byte word.
                var pairs = device.GetKernel($"eltwise.f16x2.{typeof(TOp).Name}.{typeof(TAct).Name}", acc =>
                    acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<int>, ArrayView<int>, int, TAct>(HalfPairKernel<TOp, TAct>));
                pairs((int)(a.Length / 2), a.Cast<int>(), b.Cast<int>(), y.Cast<int>(), (int)(b.Length / 2), activation);
                return;
            }

            var kernel = device.GetKernel($"eltwise.f16.{typeof(TOp).Name}.{typeof(TAct).Name}", acc =>
                acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<ushort>, ArrayView<ushort>, ArrayView<ushort>, int, TAct>(HalfKernel<TOp, TAct>));
            kernel((int)a.Length, a, b, y, (int)b.Length, activation);
        }
    }
}
