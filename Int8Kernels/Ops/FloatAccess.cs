using ILGPU;
using ILGPUInt8.Kernels.Arch;

namespace ILGPUInt8.Kernels.Ops;

/// <summary>
/// How a kernel that computes in float reads input element i and stores output element i (a struct type parameter of the
/// softmax and LRN kernels): floats, or 2-byte halves widened exactly and stored rounded once (round-to-nearest-even).
/// </summary>
internal interface IFloatAccess
{
    /// <summary>Input element i as a float.</summary>
    float X(long i);

    /// <summary>Stores output element i.</summary>
    void Y(long i, float value);
}

/// <summary>Float input and output.</summary>
internal readonly struct FloatAccess(ArrayView<float> x, ArrayView<float> y) : IFloatAccess
{
    public float X(long i) => x[i];

    public void Y(long i, float value) => y[i] = value;
}

/// <summary>2-byte halves in (widened exactly) and out (rounded once, round-to-nearest-even).</summary>
internal readonly struct HalfAccess(ArrayView<ushort> x, ArrayView<ushort> y) : IFloatAccess
{
    public float X(long i) => HalfConvert.ToFloat(x[i]);

    public void Y(long i, float value) => y[i] = HalfConvert.FromFloat(value);
}

/// <summary>2-byte halves in, the half-rounded value out in a float word (an FP16 step writing an engine output).</summary>
internal readonly struct HalfToFloatWordAccess(ArrayView<ushort> x, ArrayView<float> y) : IFloatAccess
{
    public float X(long i) => HalfConvert.ToFloat(x[i]);

    public void Y(long i, float value) => y[i] = HalfConvert.Round(value);
}
