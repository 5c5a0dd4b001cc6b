using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Kernels.Tensors;

namespace ILGPUInt8.Kernels.Ops;

/// <summary>
/// Converts a tensor between memory formats on the device (NCHW, NHWC, NCHW_VECT_C), same data type:
/// dst[offset_dst(n,c,h,w)] = src[offset_src(n,c,h,w)] for every logical element; the padding channels
/// of NCHW_VECT_C are written as zero.
/// </summary>
public static class Reformat
{
    /// <summary>Copies <paramref name="source"/> into <paramref name="destination"/> (same shape and element type, any formats).</summary>
    public static void Run(DeviceTensor source, DeviceTensor destination)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        if (source.Shape != destination.Shape)
        {
            throw new ArgumentException($"Shapes differ: source {source.Shape}, destination {destination.Shape}.", nameof(destination));
        }

        if (source.DataType.ClrType() != destination.DataType.ClrType())
        {
            throw new ArgumentException($"Data types differ: source {source.DataType}, destination {destination.DataType}.", nameof(destination));
        }

        if (!ReferenceEquals(source.Device, destination.Device))
        {
            throw new ArgumentException("Source and destination live on different devices.", nameof(destination));
        }

        var shape = source.Shape;
        var device = source.Device;
        if (destination.Format == TensorFormat.NCHW_VECT_C && shape.C % 4 != 0)
        {
            destination.Bytes.MemSetToZero();
        }

        var args = new ReformatArgs(shape.C, shape.H, shape.W);
        var type = source.DataType.ClrType();
        if (type == typeof(sbyte))
        {
            Dispatch(device, source.View<sbyte>(), destination.View<sbyte>(), source.Format, destination.Format, args, shape.Elements);
        }
        else if (type == typeof(float))
        {
            Dispatch(device, source.View<float>(), destination.View<float>(), source.Format, destination.Format, args, shape.Elements);
        }
        else if (type == typeof(int))
        {
            Dispatch(device, source.View<int>(), destination.View<int>(), source.Format, destination.Format, args, shape.Elements);
        }
        else
        {
            Dispatch(device, source.View<ILGPU.Half>(), destination.View<ILGPU.Half>(), source.Format, destination.Format, args, shape.Elements);
        }
    }

    private static void Dispatch<T>(Int8Device device, ArrayView<T> src, ArrayView<T> dst, TensorFormat from, TensorFormat to, ReformatArgs args, long count)
        where T : unmanaged
    {
        switch (from)
        {
            case TensorFormat.NCHW:
                Dispatch<T, NchwLayout>(device, src, dst, to, args, count);
                break;
            case TensorFormat.NHWC:
                Dispatch<T, NhwcLayout>(device, src, dst, to, args, count);
                break;
            default:
                Dispatch<T, NchwVectCLayout>(device, src, dst, to, args, count);
                break;
        }
    }

    private static void Dispatch<T, TSrc>(Int8Device device, ArrayView<T> src, ArrayView<T> dst, TensorFormat to, ReformatArgs args, long count)
        where T : unmanaged
        where TSrc : struct, ILayout
    {
        switch (to)
        {
            case TensorFormat.NCHW:
                Launch<T, TSrc, NchwLayout>(device, src, dst, args, count);
                break;
            case TensorFormat.NHWC:
                Launch<T, TSrc, NhwcLayout>(device, src, dst, args, count);
                break;
            default:
                Launch<T, TSrc, NchwVectCLayout>(device, src, dst, args, count);
                break;
        }
    }

    private static void Launch<T, TSrc, TDst>(Int8Device device, ArrayView<T> src, ArrayView<T> dst, ReformatArgs args, long count)
        where T : unmanaged
        where TSrc : struct, ILayout
        where TDst : struct, ILayout
    {
        var kernel = device.GetKernel($"reformat.{typeof(T).Name}.{typeof(TSrc).Name}.{typeof(TDst).Name}", a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<T>, ReformatArgs>(Kernel<T, TSrc, TDst>));
        kernel((int)count, src, dst, args);
    }

    /// <summary>The logical index i enumerates (n, c, h, w) in NCHW order; dst[TDst(n,c,h,w)] = src[TSrc(n,c,h,w)].</summary>
    internal static void Kernel<T, TSrc, TDst>(Index1D i, ArrayView<T> src, ArrayView<T> dst, ReformatArgs a)
        where T : unmanaged
        where TSrc : struct, ILayout
        where TDst : struct, ILayout
    {
        int w = i % a.W;
        int h = (i / a.W) % a.H;
        int c = (i / (a.W * a.H)) % a.C;
        int n = i / (a.W * a.H * a.C);
        dst[default(TDst).Offset(n, c, h, w, a.C, a.H, a.W)] = src[default(TSrc).Offset(n, c, h, w, a.C, a.H, a.W)];
    }

    internal readonly record struct ReformatArgs(int C, int H, int W);
}
