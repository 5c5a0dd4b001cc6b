using System.Reflection;
using ILGPU;
using ILGPUInt8.Kernels.Convolution;

namespace ILGPUInt8.Kernels.Ops;

/// <summary>
/// The one-thread-an-element kernels of 2-byte FP16 storage (auto-grouped: <c>Index1D</c>) as methods, for compiling
/// them to PTX on a machine without a GPU (<c>Perf ptx</c>, and the tests): widen, pack, the RGB input to halves, the
/// int8 boundary, the half im2col, element-wise (paired and single), pooling, concatenation, activation and softmax (a thread a row) on halves.
/// (The stem fold the FP16 stem runs on the halves' bytes is explicitly grouped: <see cref="StemFold.Kernel{TSource}"/>.)
/// </summary>
internal static class HalfStorageKernels
{
    /// <summary>Each kernel with a name for its dump (one instantiation of each generic kernel).</summary>
    public static IEnumerable<(string Name, MethodInfo Method)> All()
    {
        yield return ("half_unpack", ((Action<Index1D, ArrayView<ushort>, ArrayView<float>>)HalfUnpack.Kernel).Method);
        yield return ("half_pack", ((Action<Index1D, ArrayView<float>, ArrayView<ushort>>)HalfPack.Kernel).Method);
        yield return ("half_quantize", ((Action<Index1D, ArrayView<ushort>, ArrayView<sbyte>, float>)HalfQuantize.QuantizeKernel).Method);
        yield return ("convert_rgb_half", ((Action<Index1D, ArrayView<Quantization.Float4>, ArrayView<long>, int, RgbHalf>)ConvertRgb.Kernel<ushort, RgbHalf, long>).Method);
        yield return ("half_dequantize", ((Action<Index1D, ArrayView<sbyte>, ArrayView<ushort>, float>)HalfQuantize.DequantizeKernel).Method);
        yield return ("im2col_half_halves", ((Action<Index1D, ArrayView<ushort>, ArrayView<ushort>, ConvGeometry, int>)Im2ColHalf.HalvesKernel).Method);
        yield return ("eltwise_f16x2_sum_relu", ((Action<Index1D, ArrayView<int>, ArrayView<int>, ArrayView<int>, int, ReluActivation>)ElementWise.HalfPairKernel<SumFloat, ReluActivation>).Method);
        yield return ("eltwise_f16_sum_relu", ((Action<Index1D, ArrayView<ushort>, ArrayView<ushort>, ArrayView<ushort>, int, ReluActivation>)ElementWise.HalfKernel<SumFloat, ReluActivation>).Method);
        yield return ("pool_f16_max", ((Action<Index1D, ArrayView<ushort>, ArrayView<ushort>, PoolGeometry>)Pooling.HalfKernel<MaxFloat>).Method);
        yield return ("pool_f16_avg", ((Action<Index1D, ArrayView<ushort>, ArrayView<ushort>, PoolGeometry>)Pooling.HalfKernel<AverageFloat<CountValid>>).Method);
        yield return ("concat_f16", ((Action<Index1D, ArrayView<ushort>, ArrayView<ushort>, int, int, int>)Concat.HalfKernel).Method);
        yield return ("act_f16_sigmoid", ((Action<Index1D, ArrayView<ushort>, ArrayView<ushort>, SigmoidActivation>)Activation.HalfKernel).Method);
        yield return ("softmax_f16_rows", ((Action<Index1D, HalfAccess, int, int>)SoftMaxStrided.RowsKernel).Method);
    }
}
