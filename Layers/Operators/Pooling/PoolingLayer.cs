using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Operators;

/// <summary>Pooling reductions.</summary>
public enum PoolingType
{
    /// <summary>Maximum.</summary>
    Max,

    /// <summary>Average.</summary>
    Average,
}

/// <summary>
/// Max or average pooling over (R, S) windows with stride and padding (top/left <see cref="Padding"/>, bottom/right
/// <see cref="PaddingEnd"/>, each below the window); average either counts the padding positions (count_include_pad) or not; output size floor or ceil (<see cref="PoolProblem"/>). Global pooling takes the whole image.
/// </summary>
public sealed class PoolingLayer : Layer
{
    internal PoolingLayer(string name, IEnumerable<Tensor> inputs, PoolingType poolingType, Size2 window, Size2 stride, Size2 padding, bool countPadding, bool ceilMode, bool global, Size2? paddingEnd = null)
        : base(name, inputs)
    {
        PaddingEnd = paddingEnd ?? padding;
        PoolingType = poolingType;
        Window = window;
        Stride = stride;
        Padding = padding;
        CountPadding = countPadding;
        CeilMode = ceilMode;
        Global = global;
    }

    /// <inheritdoc />
    public override LayerType Type => LayerType.Pooling;

    /// <summary>Max or average.</summary>
    public PoolingType PoolingType { get; }

    /// <summary>Window (R, S) (ignored when global).</summary>
    public Size2 Window { get; }

    /// <summary>Stride.</summary>
    public Size2 Stride { get; }

    /// <summary>Padding at the top and left (and, unless <see cref="PaddingEnd"/> differs, at the bottom and right).</summary>
    public Size2 Padding { get; }

    /// <summary>Padding at the bottom and right.</summary>
    public Size2 PaddingEnd { get; }

    /// <summary>Average divides by the window clipped to the padded input (true) or by the valid positions (false).</summary>
    public bool CountPadding { get; }

    /// <summary>Ceil output size.</summary>
    public bool CeilMode { get; }

    /// <summary>Window = the whole input.</summary>
    public bool Global { get; }

    /// <summary>The kernel mode.</summary>
    internal PoolingMode Mode => PoolingType == PoolingType.Max ? PoolingMode.Max
        : CountPadding ? PoolingMode.AverageCountPadding : PoolingMode.AverageExcludePadding;

    /// <summary>The problem for a batch of <paramref name="n"/> items of <paramref name="input"/>.</summary>
    internal PoolProblem Problem(int n, TensorDims input) => Global
        ? PoolProblem.Global(n, input.C, input.H, input.W)
        : new PoolProblem(n, input.C, input.H, input.W, Window.H, Window.W, Stride.H, Stride.W, Padding.H, Padding.W, CeilMode)
        {
            PadBottom = PaddingEnd.H,
            PadRight = PaddingEnd.W,
        };

    /// <inheritdoc />
    internal override TensorDims InferOutput(IReadOnlyList<TensorDims> inputs)
    {
        ExpectInputs(inputs, 1);
        var p = Problem(1, inputs[0]);
        try
        {
            p.Validate();
        }
        catch (ArgumentException ex)
        {
            throw Error(ex.Message);
        }

        return new TensorDims(inputs[0].C, p.P, p.Q);
    }

    /// <inheritdoc />
    internal override void WriteParameters(BinaryWriter writer)
    {
        writer.Write((int)PoolingType);
        writer.Write(Window);
        writer.Write(Stride);
        writer.Write(Padding);
        writer.Write(CountPadding);
        writer.Write(CeilMode);
        writer.Write(Global);
        writer.Write(PaddingEnd);
    }

    /// <summary>Reads what <see cref="WriteParameters"/> wrote.</summary>
    internal static PoolingLayer Read(string name, BinaryReader r) =>
        new(name, [], r.ReadEnum<PoolingType>(), r.ReadSize2(), r.ReadSize2(), r.ReadSize2(), r.ReadBoolean(), r.ReadBoolean(), r.ReadBoolean(), r.ReadSize2());

    /// <inheritdoc />
    internal override bool Int8KeepsInputScale => PoolingType == PoolingType.Max;

    /// <inheritdoc />
    // Integer-only: max is exact; the average divides with a Q31 multiplier per divisor (Pooling.AverageFixedPoint).
    internal override string? IntegerOnlyLimit => null;
}
