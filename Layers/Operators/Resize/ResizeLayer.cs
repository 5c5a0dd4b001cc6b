using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Operators;

/// <summary>Nearest, (bi)linear or (bi)cubic interpolation.</summary>
public enum ResizeMode
{
    /// <summary>The nearest input pixel (by <see cref="NearestRounding"/>).</summary>
    Nearest,

    /// <summary>Bilinear between the four surrounding pixels.</summary>
    Linear,

    /// <summary>Bicubic over the 4 × 4 surrounding pixels (<see cref="ResizeOptions.CubicA"/>, <see cref="ResizeOptions.ExcludeOutside"/>).</summary>
    Cubic,
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

    /// <summary>x = o·(in − 1)/(in·scale − 1) (ONNX Runtime's resized length in·scale, unfloored), or 0 when the output size is 1.</summary>
    AlignCorners,

    /// <summary>x = (o + 1/2)/scale.</summary>
    TfHalfPixelForNn,

    /// <summary>
    /// x = start·(in − 1) + o·(end − start)·(in − 1)/(in·scale − 1) over the crop [start, end] (<see cref="ResizeOptions"/>'
    /// roi), or (start + end)/2·(in − 1) when the output size is 1; outside [0, in − 1] the output is the extrapolation value.
    /// </summary>
    TfCropAndResize,
}

/// <summary>Cubic mode's and tf_crop_and_resize's parameters of a resize (ONNX cubic_coeff_a, exclude_outside, roi over H and W, extrapolation_value).</summary>
/// <param name="CubicA">The cubic kernel's a (ONNX default −0.75).</param>
/// <param name="ExcludeOutside">Cubic: taps outside the input weigh 0 and the others are renormalised to sum 1.</param>
/// <param name="RoiStartH">tf_crop_and_resize: the crop's start along H, normalised (0: the first row).</param>
/// <param name="RoiStartW">The crop's start along W.</param>
/// <param name="RoiEndH">The crop's end along H, normalised (1: the last row).</param>
/// <param name="RoiEndW">The crop's end along W.</param>
/// <param name="Extrapolation">tf_crop_and_resize: the output where the coordinate falls outside the input.</param>
public sealed record ResizeOptions(float CubicA = -0.75f, bool ExcludeOutside = false, float RoiStartH = 0f, float RoiStartW = 0f, float RoiEndH = 1f, float RoiEndW = 1f, float Extrapolation = 0f)
{
    /// <summary>ONNX's defaults.</summary>
    public static ResizeOptions Default { get; } = new();
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
/// INT8 keeps the input's scale); linear and cubic interpolate in float (FP32 only), as does nearest with
/// tf_crop_and_resize (its extrapolation value is no pixel). Coordinates follow ONNX Runtime, in float
/// (<see cref="ResizeSampling"/>): x = transform(o); nearest rounds and clamps to [0, in − 1]; linear clamps x to
/// [0, in − 1], x0 = ⌊x⌋, x1 = min(x0 + 1, in − 1), weights 1 − (x − x0) and x − x0; cubic weighs ⌊x⌋ − 1 … ⌊x⌋ + 2 (clamped)
/// with ONNX's cubic coefficients; y = Σ over H of the weighted sums over W (<see cref="ResizeTaps.Sample"/>).
/// </summary>
public sealed class ResizeLayer : Layer, IItemGather
{
    internal ResizeLayer(string name, IEnumerable<Tensor> inputs, int outH, int outW, float scaleH, float scaleW, ResizeMode mode, ResizeCoordinates coordinates, NearestRounding rounding, ResizeOptions? options = null)
        : base(name, inputs)
    {
        (OutH, OutW, ScaleH, ScaleW, Mode, Coordinates, Rounding) = (outH, outW, scaleH, scaleW, mode, coordinates, rounding);
        Options = options ?? ResizeOptions.Default;
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

    /// <summary>Nearest, linear or cubic.</summary>
    public ResizeMode Mode { get; }

    /// <summary>The coordinate transformation.</summary>
    public ResizeCoordinates Coordinates { get; }

    /// <summary>Nearest mode's rounding.</summary>
    public NearestRounding Rounding { get; }

    /// <summary>Cubic's coefficient and exclude_outside, tf_crop_and_resize's crop and extrapolation value.</summary>
    public ResizeOptions Options { get; }

    /// <summary>Whether the resize copies pixels (a gather; INT8 too): nearest, unless tf_crop_and_resize may extrapolate.</summary>
    internal bool Gathers => Mode == ResizeMode.Nearest && Coordinates != ResizeCoordinates.TfCropAndResize;

    /// <inheritdoc />
    internal override string? Int8Limit => Gathers ? null
        : Mode == ResizeMode.Nearest ? "nearest resize with tf_crop_and_resize has no INT8 kernel" : $"{Mode.ToString().ToLowerInvariant()} resize has no INT8 kernel";

    /// <inheritdoc />
    internal override bool Int8KeepsInputScale => Gathers;

    /// <summary>The H axis of an input of height <paramref name="inH"/>.</summary>
    internal ResizeAxis AxisH(int inH) => new(inH, OutH, ScaleH, Options.RoiStartH, Options.RoiEndH);

    /// <summary>The W axis of an input of width <paramref name="inW"/>.</summary>
    internal ResizeAxis AxisW(int inW) => new(inW, OutW, ScaleW, Options.RoiStartW, Options.RoiEndW);

    /// <inheritdoc />
    // y[c][h][w] = ResizeTaps.Sample of plane c (NCHW, one item).
    internal override float[] EvaluateConstant(IReadOnlyList<float[]> inputs, IReadOnlyList<TensorDims> dims)
    {
        var d = dims[0];
        var x = inputs[0];
        var taps = ResizeTaps.Of(this, d.H, d.W);
        var y = new float[(long)d.C * OutH * OutW];
        for (int c = 0; c < d.C; c++)
        {
            var plane = x.AsSpan(c * d.H * d.W, d.H * d.W);
            for (int h = 0; h < OutH; h++)
            {
                for (int w = 0; w < OutW; w++)
                {
                    y[(((c * OutH) + h) * OutW) + w] = taps.Sample(plane, d.W, 1, h, w);
                }
            }
        }

        return y;
    }

    /// <inheritdoc />
    int[] IItemGather.ItemMap(TensorDims input, TensorDims output)
    {
        var map = new int[output.Volume];
        for (int h = 0; h < OutH; h++)
        {
            int sh = ResizeSampling.NearestIndex(h, AxisH(input.H), Coordinates, Rounding);
            for (int w = 0; w < OutW; w++)
            {
                int sw = ResizeSampling.NearestIndex(w, AxisW(input.W), Coordinates, Rounding);
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

        var o = Options;
        if (!float.IsFinite(o.CubicA) || !float.IsFinite(o.Extrapolation) || !float.IsFinite(o.RoiStartH) || !float.IsFinite(o.RoiStartW)
            || !float.IsFinite(o.RoiEndH) || !float.IsFinite(o.RoiEndW))
        {
            throw Error($"the cubic coefficient {o.CubicA}, the crop and the extrapolation value {o.Extrapolation} must be finite.");
        }

        return new TensorDims(inputs[0].C, OutH, OutW);
    }

    /// <inheritdoc />
    // Cubic appends (a, exclude_outside), tf_crop_and_resize (start H, start W, end H, end W, extrapolation): files of
    // the other modes read as before.
    internal override void WriteParameters(BinaryWriter writer)
    {
        writer.Write(OutH);
        writer.Write(OutW);
        writer.Write(ScaleH);
        writer.Write(ScaleW);
        writer.Write((int)Mode);
        writer.Write((int)Coordinates);
        writer.Write((int)Rounding);
        if (Mode == ResizeMode.Cubic)
        {
            writer.Write(Options.CubicA);
            writer.Write(Options.ExcludeOutside);
        }

        if (Coordinates == ResizeCoordinates.TfCropAndResize)
        {
            writer.Write(Options.RoiStartH);
            writer.Write(Options.RoiStartW);
            writer.Write(Options.RoiEndH);
            writer.Write(Options.RoiEndW);
            writer.Write(Options.Extrapolation);
        }
    }

    /// <summary>Reads what <see cref="WriteParameters"/> wrote.</summary>
    internal static ResizeLayer Read(string name, BinaryReader r)
    {
        var (outH, outW, scaleH, scaleW) = (r.ReadInt32(), r.ReadInt32(), r.ReadSingle(), r.ReadSingle());
        var (mode, coordinates, rounding) = (r.ReadEnum<ResizeMode>(), r.ReadEnum<ResizeCoordinates>(), r.ReadEnum<NearestRounding>());
        var options = ResizeOptions.Default;
        if (mode == ResizeMode.Cubic)
        {
            options = options with { CubicA = r.ReadSingle(), ExcludeOutside = r.ReadBoolean() };
        }

        if (coordinates == ResizeCoordinates.TfCropAndResize)
        {
            options = options with { RoiStartH = r.ReadSingle(), RoiStartW = r.ReadSingle(), RoiEndH = r.ReadSingle(), RoiEndW = r.ReadSingle(), Extrapolation = r.ReadSingle() };
        }

        return new(name, [], outH, outW, scaleH, scaleW, mode, coordinates, rounding, options);
    }
}
