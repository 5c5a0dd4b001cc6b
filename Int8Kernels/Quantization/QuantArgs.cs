using ILGPU;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Kernels.Tensors;

namespace ILGPUInt8.Kernels.Quantization;

/// <summary>Host-side checks shared by the quantization operators: they throw before any launch, naming the argument.</summary>
internal static class QuantArgs
{
    /// <summary>Throws unless both views have the same length and it fits the kernels' int indexing.</summary>
    public static void SameLength<TA, TB>(ArrayView<TA> a, ArrayView<TB> b, string nameA, string nameB)
        where TA : unmanaged
        where TB : unmanaged
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException($"{nameB} has {b.Length} elements but {nameA} has {a.Length}.", nameB);
        }

        if (a.Length > int.MaxValue - 16)
        {
            throw new ArgumentException($"{nameA} has {a.Length} elements; at most {int.MaxValue - 16} are supported.", nameA);
        }
    }

    /// <summary>Throws unless a scale is finite and positive.</summary>
    public static void Scale(float scale, string name)
    {
        if (!(scale > 0f) || float.IsInfinity(scale))
        {
            throw new ArgumentException($"{name} = {scale} must be finite and > 0.", name);
        }
    }

    /// <summary>Throws unless every scale is finite and positive and the count matches the channels.</summary>
    public static void Scales(ReadOnlySpan<float> scales, int channels, string name)
    {
        if (scales.Length != channels)
        {
            throw new ArgumentException($"{name} has {scales.Length} values for {channels} channels.", name);
        }

        for (var i = 0; i < scales.Length; i++)
        {
            if (!(scales[i] > 0f) || float.IsInfinity(scales[i]))
            {
                throw new ArgumentException($"{name}[{i}] = {scales[i]} must be finite and > 0.", name);
            }
        }
    }

    /// <summary>Throws unless length = outer · channels · inner for some outer ≥ 1.</summary>
    public static void Layout(long length, PerChannelIndex channels, string name)
    {
        if (channels.Channels <= 0 || channels.Inner <= 0 || length % ((long)channels.Channels * channels.Inner) != 0)
        {
            throw new ArgumentException($"{name} with {length} elements is not a whole number of ({channels.Channels} channels × {channels.Inner}) blocks.", name);
        }
    }

    /// <summary>Throws unless input and output are tensors of the expected data types on one device with equal shape and format.</summary>
    public static void Tensors(DeviceTensor input, DataType inputType, string inputName, DeviceTensor output, DataType outputType, string outputName)
    {
        ArgumentNullException.ThrowIfNull(input, inputName);
        ArgumentNullException.ThrowIfNull(output, outputName);
        if (input.DataType != inputType)
        {
            throw new ArgumentException($"{inputName} holds {input.DataType}; {inputType} is expected.", inputName);
        }

        if (output.DataType != outputType)
        {
            throw new ArgumentException($"{outputName} holds {output.DataType}; {outputType} is expected.", outputName);
        }

        if (!ReferenceEquals(input.Device, output.Device))
        {
            throw new ArgumentException($"{outputName} lives on another device than {inputName}.", outputName);
        }

        if (input.Shape != output.Shape)
        {
            throw new ArgumentException($"Shapes differ: {inputName} {input.Shape}, {outputName} {output.Shape}.", outputName);
        }

        if (input.Format != output.Format)
        {
            throw new ArgumentException($"Formats differ: {inputName} {input.Format}, {outputName} {output.Format}.", outputName);
        }
    }

    /// <summary>The channel index of per-channel parameters on a tensor; throws unless there is one scale per index of the axis.</summary>
    public static PerChannelIndex ChannelIndex(QuantizationParams p, TensorShape shape, TensorFormat format, string name)
    {
        var index = PerChannelIndex.ForAxis(shape, format, p.Axis, name);
        if (p.Scales.Length != index.Channels)
        {
            throw new ArgumentException($"{name} has {p.Scales.Length} scales for axis {p.Axis} of size {index.Channels} in {shape}.", name);
        }

        return index;
    }

    /// <summary>True when a view starts on a 16-byte boundary (allocations do; sub-views may not).</summary>
    public static bool Aligned16<T>(ArrayView<T> view)
        where T : unmanaged =>
        Aligned(view, 16);

    /// <summary>True when a view starts on a multiple of <paramref name="bytes"/> bytes (for word or vector accesses).</summary>
    public static bool Aligned<T>(ArrayView<T> view, int bytes)
        where T : unmanaged =>
        ((IContiguousArrayView)view).IndexInBytes % bytes == 0;
}
