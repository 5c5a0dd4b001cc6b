using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Onnx;

/// <summary>
/// Resize (opset 10: X, scales; 11+: X, roi, scales, sizes) and Upsample (opset 7: scales attribute; 9: scales input)
/// over H and W of [N, C, H, W] (or W of [N, C, L]) → <see cref="ResizeSpec"/>, modes nearest, linear and (opset 11+)
/// cubic (cubic_coeff_a, exclude_outside). Output size ⌊in·scale⌋ or the given sizes (then scale = out/in). Coordinates
/// and rounding as ONNX Runtime: opset 11+ reads coordinate_transformation_mode (half_pixel default; tf_crop_and_resize
/// reads the roi input over H and W and extrapolation_value) and nearest_mode (round_prefer_floor default); Resize-10 and
/// Upsample are asymmetric with floor when enlarging. Scaling or cropping N or C, antialias and keep_aspect_ratio_policy
/// other than stretch are refused.
/// </summary>
internal sealed class ResizeMapper : IOnnxOpMapper
{
    public IReadOnlyList<string> OpTypes { get; } = ["Resize", "Upsample"];

    public IReadOnlyList<int> ConstantInputs(OnnxNode node) => [1, 2, 3];

    public long? EarliestOpset(string opType) => opType == "Upsample" ? 7 : 10;

    public void Map(OnnxNode node, OnnxMapContext context)
    {
        var x = context.Runtime(node, 0);
        int rank = x.Shape.Count;
        if (rank is not (3 or 4))
        {
            throw node.Unsupported($"input rank {rank} (only NCL and NCHW)");
        }

        bool modern = node.OpType == "Resize" && node.Opset >= 11;
        float[]? scales = null;
        long[]? sizes = null;
        if (node.OpType == "Upsample" && node.Opset < 9)
        {
            scales = node.GetFloats("scales") ?? throw node.Error("attribute 'scales' is required.");
        }
        else
        {
            int scaleSlot = modern ? 2 : 1;
            if (context.OptionalConstant(node, scaleSlot, "the scales") is { } s && s.Tensor.ElementCount > 0)
            {
                scales = s.Tensor.ToFloatArray();
            }

            if (modern && context.OptionalConstant(node, 3, "the sizes") is { } z && z.Tensor.ElementCount > 0)
            {
                sizes = z.Tensor.IsFloat ? throw node.Error("sizes must be integers.") : z.Tensor.ToInt64Array();
            }
        }

        if ((scales is null) == (sizes is null) || (scales?.Length ?? sizes!.Length) != rank)
        {
            throw node.Error($"exactly one of scales and sizes must be given, with {rank} values.");
        }

        string modeText = node.GetString("mode", "nearest");
        var mode = modeText switch
        {
            "nearest" => ResizeMode.Nearest,
            "linear" or "bilinear" => ResizeMode.Linear,
            "cubic" when modern => ResizeMode.Cubic,
            _ => throw node.Unsupported($"mode '{modeText}' (nearest, linear{(modern ? " and cubic" : string.Empty)})"),
        };
        var out_ = new long[rank];
        var scale = new float[rank];
        for (int d = 0; d < rank; d++)
        {
            if (d < 2)
            {
                // N (maybe dynamic) and C stay: a scale of 1, or their own size.
                if (scales is not null ? scales[d] != 1f : sizes![d] != x.Shape[d] && !(d == 0 && x.Shape[0] < 0))
                {
                    throw node.Unsupported($"resizing dimension {d} (only the spatial dimensions)");
                }

                (out_[d], scale[d]) = (x.Shape[d], 1f);
                continue;
            }

            out_[d] = sizes?[d] ?? (long)Math.Floor(x.Shape[d] * (double)scales![d]);
            scale[d] = scales?[d] ?? (float)out_[d] / x.Shape[d];

            if (out_[d] <= 0 || out_[d] > int.MaxValue)
            {
                throw node.Error($"output size {out_[d]} of dimension {d} is out of range.");
            }
        }

        var coordinates = !modern ? ResizeCoordinates.Asymmetric : node.GetString("coordinate_transformation_mode", "half_pixel") switch
        {
            "half_pixel" => ResizeCoordinates.HalfPixel,
            "pytorch_half_pixel" => ResizeCoordinates.PytorchHalfPixel,
            "asymmetric" => ResizeCoordinates.Asymmetric,
            "align_corners" => ResizeCoordinates.AlignCorners,
            "tf_half_pixel_for_nn" => ResizeCoordinates.TfHalfPixelForNn,
            "tf_crop_and_resize" => ResizeCoordinates.TfCropAndResize,
            var other => throw node.Unsupported($"coordinate_transformation_mode '{other}'"),
        };
        var rounding = !modern ? NearestRounding.Simple : node.GetString("nearest_mode", "round_prefer_floor") switch
        {
            "round_prefer_floor" => NearestRounding.RoundPreferFloor,
            "round_prefer_ceil" => NearestRounding.RoundPreferCeil,
            "floor" => NearestRounding.Floor,
            "ceil" => NearestRounding.Ceil,
            var other => throw node.Unsupported($"nearest_mode '{other}'"),
        };
        if (modern && node.GetString("keep_aspect_ratio_policy", "stretch") != "stretch")
        {
            throw node.Unsupported("keep_aspect_ratio_policy other than stretch");
        }

        if (modern && node.GetInt("antialias", 0) != 0)
        {
            throw node.Unsupported("antialias = 1");
        }

        bool plane = rank == 4;
        var options = mode == ResizeMode.Cubic ? new ResizeOptions(node.GetFloat("cubic_coeff_a", -0.75f), node.GetInt("exclude_outside", 0) != 0) : ResizeOptions.Default;
        if (coordinates == ResizeCoordinates.TfCropAndResize)
        {
            var roi = Roi(node, context, rank);
            options = options with
            {
                RoiStartH = plane ? roi[2] : 0f,
                RoiStartW = roi[rank - 1],
                RoiEndH = plane ? roi[rank + 2] : 1f,
                RoiEndW = roi[(2 * rank) - 1],
                Extrapolation = node.GetFloat("extrapolation_value", 0f),
            };
        }

        var spec = new ResizeSpec(plane ? (int)out_[2] : 1, (int)out_[rank - 1], plane ? scale[2] : 1f, scale[rank - 1], mode, coordinates, rounding, options);
        context.AddLayer(node, spec, [x], out_);
    }

    // roi = [start_1 … start_r, end_1 … end_r], normalised; N and C must span [0, 1] (their whole length).
    private static float[] Roi(OnnxNode node, OnnxMapContext context, int rank)
    {
        var roi = context.OptionalConstant(node, 1, "the roi") is { } r && r.Tensor.ElementCount > 0
            ? r.Tensor.ToFloatArray()
            : throw node.Error("tf_crop_and_resize needs the roi input.");
        if (roi.Length != 2 * rank || roi.Any(v => !float.IsFinite(v)))
        {
            throw node.Error($"the roi must hold {2 * rank} finite values (starts, then ends), not {roi.Length}.");
        }

        if (roi[0] != 0f || roi[1] != 0f || roi[rank] != 1f || roi[rank + 1] != 1f)
        {
            throw node.Unsupported("a roi that crops N or C (only the spatial dimensions)");
        }

        return roi;
    }
}

/// <summary>A spatial resize (see <see cref="ResizeLayer"/>); a rank-3 [N, C, L] input resizes L (H = 1).</summary>
/// <param name="OutH">Output height.</param>
/// <param name="OutW">Output width.</param>
/// <param name="ScaleH">The height scale of the coordinates.</param>
/// <param name="ScaleW">The width scale of the coordinates.</param>
/// <param name="Mode">Nearest or linear.</param>
/// <param name="Coordinates">The coordinate transformation.</param>
/// <param name="Rounding">Nearest mode's rounding.</param>
/// <param name="Options">Cubic's coefficient and exclude_outside, tf_crop_and_resize's crop over H and W and extrapolation value (ONNX's defaults if null).</param>
public sealed record ResizeSpec(int OutH, int OutW, float ScaleH, float ScaleW, ResizeMode Mode, ResizeCoordinates Coordinates, NearestRounding Rounding, ResizeOptions? Options = null) : LayerSpec
{
    /// <inheritdoc />
    public override string Kind => "Resize";

    /// <inheritdoc />
    internal override Layer AddTo(OnnxNetworkAdapter adapter, string name) =>
        adapter.Network.AddResize(adapter.In(0), OutH, OutW, ScaleH, ScaleW, Mode, Coordinates, Rounding, name, Options);
}
