using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Operators;

/// <summary>Nearest or (bi)linear interpolation.</summary>
public enum ResizeMode
{
    /// <summary>The nearest input pixel (by <see cref="NearestRounding"/>).</summary>
    Nearest,

    /// <summary>Bilinear between the four surrounding pixels.</summary>
    Linear,
}

/// <summary>How an output coordinate maps to an input coordinate (ONNX coordinate_transformation_mode).</summary>
public enum ResizeCoordinates
{
    /// <summary>x = (o + 1/2)/scale − 1/2.</summary>
    HalfPixel,

    /// <summary>x = (o + 1/2)/scale − 1/2, or 0 when the output size is 1.</summary>
    PytorchHalfPixel,

    /// <summary>x = o/scale.</summary>
    Asymmetric,

    /// <summary>x = o·(in − 1)/(out − 1), or 0 when the output size is 1.</summary>
    AlignCorners,
}

/// <summary>How nearest mode rounds the input coordinate (ONNX nearest_mode; Simple is Resize-10's floor/ceil by direction).</summary>
public enum NearestRounding
{
    /// <summary>Round, halves down.</summary>
    RoundPreferFloor,

    /// <summary>Round, halves up.</summary>
    RoundPreferCeil,

    /// <summary>floor(x).</summary>
    Floor,

    /// <summary>ceil(x).</summary>
    Ceil,

    /// <summary>Resize-10 and Upsample: floor when enlarging, ceil when shrinking.</summary>
    Simple,
}

/// <summary>
/// Spatial resize (ONNX Resize / Upsample over H and W): (C, H, W) → (C, OutH, OutW). Nearest copies a pixel (a gather:
/// INT8 keeps the input's scale); linear interpolates in float (FP32 only). Coordinates follow ONNX Runtime, in float:
/// x = transform(o), nearest rounds and clamps to [0, in − 1]; linear clamps x to [0, in − 1], x0 = ⌊x⌋, x1 = min(x0 + 1,
/// in − 1), y = lerp over H of lerp over W with weights x − x0.
/// </summary>
public sealed class ResizeLayer : Layer, IItemGather
{
    internal ResizeLayer(string name, IEnumerable<Tensor> inputs, int outH, int outW, float scaleH, float scaleW, ResizeMode mode, ResizeCoordinates coordinates, NearestRounding rounding)
        : base(name, inputs)
    {
        (OutH, OutW, ScaleH, ScaleW, Mode, Coordinates, Rounding) = (outH, outW, scaleH, scaleW, mode, coordinates, rounding);
    }

    /// <inheritdoc />
    public override LayerType Type => LayerType.Resize;

    /// <summary>Output height.</summary>
    public int OutH { get; }

    /// <summary>Output width.</summary>
    public int OutW { get; }

    /// <summary>The height scale the coordinates use (the given scale, or OutH / H).</summary>
    public float ScaleH { get; }

    /// <summary>The width scale the coordinates use.</summary>
    public float ScaleW { get; }

    /// <summary>Nearest or linear.</summary>
    public ResizeMode Mode { get; }

    /// <summary>The coordinate transformation.</summary>
    public ResizeCoordinates Coordinates { get; }

    /// <summary>Nearest mode's rounding.</summary>
    public NearestRounding Rounding { get; }

    /// <inheritdoc />
    internal override string? Int8Limit => Mode == ResizeMode.Linear ? "linear resize has no INT8 kernel" : null;

    /// <inheritdoc />
    internal override bool Int8KeepsInputScale => Mode == ResizeMode.Nearest;

    /// <summary>The input coordinate of output index <paramref name="o"/> (float, as ONNX Runtime computes it).</summary>
    internal static float SourceCoordinate(int o, int input, int output, float scale, ResizeCoordinates mode) => mode switch
    {
        ResizeCoordinates.HalfPixel => ((o + 0.5f) / scale) - 0.5f,
        ResizeCoordinates.PytorchHalfPixel => output > 1 ? ((o + 0.5f) / scale) - 0.5f : 0f,
        ResizeCoordinates.Asymmetric => o / scale,
        _ => output == 1 ? 0f : o * (float)(input - 1) / (output - 1),
    };

    /// <summary>The nearest input index of output index <paramref name="o"/>, clamped to [0, in − 1].</summary>
    internal static int NearestIndex(int o, int input, int output, float scale, ResizeCoordinates mode, NearestRounding rounding)
    {
        float x = SourceCoordinate(o, input, output, scale, mode);
        double f = Math.Floor(x);
        double i = rounding switch
        {
            NearestRounding.RoundPreferFloor => x == f + 0.5 ? f : Math.Round(x, MidpointRounding.AwayFromZero),
            NearestRounding.RoundPreferCeil => x == f + 0.5 ? f + 1 : Math.Round(x, MidpointRounding.AwayFromZero),
            NearestRounding.Floor => f,
            NearestRounding.Ceil => Math.Ceiling(x),
            _ => scale < 1f ? Math.Ceiling(x) : f,
        };
        return (int)Math.Clamp(i, 0, input - 1);
    }

    /// <summary>Linear: the two input indices and the weight of the second for output index <paramref name="o"/>.</summary>
    internal static (int I0, int I1, float Weight) LinearTaps(int o, int input, int output, float scale, ResizeCoordinates mode)
    {
        float x = Math.Clamp(SourceCoordinate(o, input, output, scale, mode), 0f, input - 1);
        int i0 = Math.Min((int)x, input - 1);
        return (i0, Math.Min(i0 + 1, input - 1), x - i0);
    }

    /// <inheritdoc />
    // Nearest: y[c][h][w] = x[c][nh(h)][nw(w)]; linear: the lerps of the class comment (NCHW, one item).
    internal override float[] EvaluateConstant(IReadOnlyList<float[]> inputs, IReadOnlyList<TensorDims> dims)
    {
        var d = dims[0];
        var x = inputs[0];
        var y = new float[(long)d.C * OutH * OutW];
        for (int c = 0; c < d.C; c++)
        {
            for (int h = 0; h < OutH; h++)
            {
                for (int w = 0; w < OutW; w++)
                {
                    y[(((c * OutH) + h) * OutW) + w] = Mode == ResizeMode.Nearest
                        ? x[(((c * d.H) + NearestIndex(h, d.H, OutH, ScaleH, Coordinates, Rounding)) * d.W) + NearestIndex(w, d.W, OutW, ScaleW, Coordinates, Rounding)]
                        : Linear(x, c, h, w, d);
                }
            }
        }

        return y;
    }

    private float Linear(float[] x, int c, int h, int w, TensorDims d)
    {
        var (h0, h1, lh) = LinearTaps(h, d.H, OutH, ScaleH, Coordinates);
        var (w0, w1, lw) = LinearTaps(w, d.W, OutW, ScaleW, Coordinates);
        float At(int r, int s) => x[(((c * d.H) + r) * d.W) + s];
        return Lerp(Lerp(At(h0, w0), At(h0, w1), lw), Lerp(At(h1, w0), At(h1, w1), lw), lh);
    }

    /// <summary>a·(1 − t) + b·t, as both backends' linear steps compute it.</summary>
    internal static float Lerp(float a, float b, float t) => (a * (1f - t)) + (b * t);

    /// <inheritdoc />
    int[] IItemGather.ItemMap(TensorDims input, TensorDims output)
    {
        var map = new int[output.Volume];
        for (int h = 0; h < OutH; h++)
        {
            int sh = NearestIndex(h, input.H, OutH, ScaleH, Coordinates, Rounding);
            for (int w = 0; w < OutW; w++)
            {
                int sw = NearestIndex(w, input.W, OutW, ScaleW, Coordinates, Rounding);
                for (int c = 0; c < input.C; c++)
                {
                    map[(((h * OutW) + w) * input.C) + c] = (((sh * input.W) + sw) * input.C) + c;
                }
            }
        }

        return map;
    }

    /// <inheritdoc />
    internal override TensorDims InferOutput(IReadOnlyList<TensorDims> inputs)
    {
        ExpectInputs(inputs, 1);
        if (OutH <= 0 || OutW <= 0 || !(ScaleH > 0) || !(ScaleW > 0) || !float.IsFinite(ScaleH) || !float.IsFinite(ScaleW)
            || !Enum.IsDefined(Mode) || !Enum.IsDefined(Coordinates) || !Enum.IsDefined(Rounding))
        {
            throw Error($"output {OutH}x{OutW} and scales ({ScaleH}, {ScaleW}) must be positive.");
        }

        return new TensorDims(inputs[0].C, OutH, OutW);
    }

    /// <inheritdoc />
    internal override void WriteParameters(BinaryWriter writer)
    {
        writer.Write(OutH);
        writer.Write(OutW);
        writer.Write(ScaleH);
        writer.Write(ScaleW);
        writer.Write((int)Mode);
        writer.Write((int)Coordinates);
        writer.Write((int)Rounding);
    }

    /// <summary>Reads what <see cref="WriteParameters"/> wrote.</summary>
    internal static ResizeLayer Read(string name, BinaryReader r) =>
        new(name, [], r.ReadInt32(), r.ReadInt32(), r.ReadSingle(), r.ReadSingle(), r.ReadEnum<ResizeMode>(), r.ReadEnum<ResizeCoordinates>(), r.ReadEnum<NearestRounding>());
}
