using ILGPUInt8.Kernels.IntegerOnly;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Operators;

/// <summary>How many values a <see cref="ScaleLayer"/> parameter array holds.</summary>
public enum ScaleMode
{
    /// <summary>One value for the whole tensor.</summary>
    Uniform,

    /// <summary>One value per channel (C).</summary>
    Channel,

    /// <summary>One value per element of an item (C·H·W, NCHW order).</summary>
    Elementwise,
}

/// <summary>
/// y = (x · scale + shift)^power, each parameter per tensor, per channel or per element (<see cref="ScaleMode"/>);
/// a missing array means scale 1, shift 0, power 1. FP32 (folded into a preceding convolution when it can be); in an
/// integer-only engine, without a power, INT8 with integers only (<see cref="Kernels.IntegerOnly.IntegerScale"/>).
/// </summary>
public sealed class ScaleLayer : Layer
{
    internal ScaleLayer(string name, IEnumerable<Tensor> inputs, ScaleMode mode, float[]? scale, float[]? shift, float[]? power)
        : base(name, inputs)
    {
        Mode = mode;
        ScaleArray = scale;
        ShiftArray = shift;
        PowerArray = power;
    }

    /// <inheritdoc />
    public override LayerType Type => LayerType.Scale;

    /// <summary>Per tensor, channel or element.</summary>
    public ScaleMode Mode { get; }

    /// <summary>Scale values, or empty for 1.</summary>
    public ReadOnlyMemory<float> ScaleValues => ScaleArray;

    /// <summary>Shift values, or empty for 0.</summary>
    public ReadOnlyMemory<float> Shift => ShiftArray;

    /// <summary>Power values, or empty for 1.</summary>
    public ReadOnlyMemory<float> Power => PowerArray;

    internal float[]? ScaleArray { get; }

    internal float[]? ShiftArray { get; }

    internal float[]? PowerArray { get; }

    /// <summary>True when some power differs from 1.</summary>
    internal bool HasPower => PowerArray is not null && Array.Exists(PowerArray, p => p != 1f);

    /// <summary>Values per parameter array for an input of <paramref name="dims"/>.</summary>
    internal static long Count(ScaleMode mode, TensorDims dims) => mode switch
    {
        ScaleMode.Uniform => 1,
        ScaleMode.Channel => dims.C,
        _ => dims.Volume,
    };

    /// <inheritdoc />
    // Channel or uniform without power: y = x·scale(k) + shift(k), scale 1 and shift 0 where absent.
    internal override (Func<int, float> Scale, Func<int, float> Shift)? FoldableScale =>
        Mode is ScaleMode.Channel or ScaleMode.Uniform && !HasPower
            ? (k => ScaleArray is null ? 1f : ScaleArray[Mode == ScaleMode.Uniform ? 0 : k],
               k => ShiftArray is null ? 0f : ShiftArray[Mode == ScaleMode.Uniform ? 0 : k])
            : null;

    /// <inheritdoc />
    // y[i] = (x[i]·scale[j] + shift[j])^power[j] in float (the power in double), j = 0, the channel or i by mode.
    internal override float[] EvaluateConstant(IReadOnlyList<float[]> inputs, IReadOnlyList<TensorDims> dims)
    {
        float[] x = inputs[0];
        var d = dims[0];
        var y = new float[x.Length];
        for (var i = 0; i < x.Length; i++)
        {
            var j = Mode switch
            {
                ScaleMode.Uniform => 0,
                ScaleMode.Channel => (int)((i / d.Plane) % d.C),
                _ => (int)(i % d.Volume),
            };
            var v = (x[i] * (ScaleArray?[j] ?? 1f)) + (ShiftArray?[j] ?? 0f);
            y[i] = PowerArray is { } power ? (float)Math.Pow(v, power[j]) : v;
        }

        return y;
    }

    /// <inheritdoc />
    internal override TensorDims InferOutput(IReadOnlyList<TensorDims> inputs)
    {
        ExpectInputs(inputs, 1);
        if (!Enum.IsDefined(Mode))
        {
            throw Error($"unknown scale mode {(int)Mode}.");
        }

        var n = Count(Mode, inputs[0]);
        CheckArray(ScaleArray, n, $"scale ({Mode})", optional: true);
        CheckArray(ShiftArray, n, $"shift ({Mode})", optional: true);
        CheckArray(PowerArray, n, $"power ({Mode})", optional: true);
        return inputs[0];
    }

    /// <inheritdoc />
    internal override void WriteParameters(BinaryWriter writer)
    {
        writer.Write((int)Mode);
        writer.WriteArray(ScaleArray);
        writer.WriteArray(ShiftArray);
        writer.WriteArray(PowerArray);
    }

    /// <summary>Reads what <see cref="WriteParameters"/> wrote.</summary>
    internal static ScaleLayer Read(string name, BinaryReader r) =>
        new(name, [], r.ReadEnum<ScaleMode>(), r.ReadFloatArray(), r.ReadFloatArray(), r.ReadFloatArray());

    /// <inheritdoc />
    internal override string? Int8Limit => $"layer type {Type} has no INT8 kernel";

    /// <inheritdoc />
    internal override string? Int8LimitIn(bool integerOnly) => integerOnly && !HasPower ? null : Int8Limit;

    /// <inheritdoc />
    internal override string? IntegerOnlyLimit => HasPower ? $"layer type {Type} with a power has no integer-only INT8 form" : null;

    /// <summary>The integer-only coefficients (f_j, channel_j) in NHWC order for an input of <paramref name="dims"/>.</summary>
    internal (int[] Factor, FixedPointChannel[] Channels) IntegerCoefficients(TensorDims dims, float inputScale, float outputScale, bool nhwc)
    {
        var count = (int)Count(Mode, dims);
        float[] Order(float[]? v) => v is null ? [] : Mode == ScaleMode.Elementwise && nhwc ? WeightLayout.ChwToHwc<float>(v, dims.C, dims.H, dims.W) : v;
        return IntegerScale.Create(Order(ScaleArray), Order(ShiftArray), count, inputScale, outputScale);
    }
}
