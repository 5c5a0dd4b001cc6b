using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Onnx.Reference;

/// <summary>
/// The ONNX Resize over H and W of [N, C, H, W] (or L of [N, C, L]): nearest, linear and cubic in double, ported from
/// ONNX's reference (onnx/backend/test/case/node/resize.py): per axis the source coordinate, the coefficients of the
/// ratio, the n input indices nearest the coordinate in the edge-padded axis, exclude_outside, and tf_crop_and_resize's
/// extrapolation value outside [0, in − 1]; the axes apply one after the other (W inside H).
/// </summary>
internal sealed class ResizeOnnxReference : OnnxEvaluator<ResizeSpec>
{
    /// <inheritdoc />
    protected override ReferenceTensor Evaluate(ResizeSpec spec, IReadOnlyList<ReferenceTensor> x, long[] shape)
    {
        var s = x[0].Shape;
        var o = spec.Options ?? ResizeOptions.Default;
        int planes = (int)(s[0] * s[1]), inH = s.Length == 4 ? (int)s[2] : 1, inW = (int)s[^1];
        var rows = Enumerable.Range(0, spec.OutH).Select(h => Window(h, new ResizeAxis(inH, spec.OutH, spec.ScaleH, o.RoiStartH, o.RoiEndH), spec)).ToArray();
        var cols = Enumerable.Range(0, spec.OutW).Select(w => Window(w, new ResizeAxis(inW, spec.OutW, spec.ScaleW, o.RoiStartW, o.RoiEndW), spec)).ToArray();
        var y = new float[(long)planes * spec.OutH * spec.OutW];
        for (int p = 0; p < planes; p++)
        {
            for (int h = 0; h < spec.OutH; h++)
            {
                for (int w = 0; w < spec.OutW; w++)
                {
                    double v = o.Extrapolation;
                    if (rows[h] is { } r && cols[w] is { } c)
                    {
                        v = 0;
                        for (int a = 0; a < r.Index.Length; a++)
                        {
                            double line = 0;
                            for (int b = 0; b < c.Index.Length; b++)
                            {
                                line += c.Coeff[b] * x[0].Data[((((long)p * inH) + r.Index[a]) * inW) + c.Index[b]];
                            }

                            v += r.Coeff[a] * line;
                        }
                    }

                    y[((((long)p * spec.OutH) + h) * spec.OutW) + w] = (float)v;
                }
            }
        }

        return new ReferenceTensor(shape, y);
    }

    // ONNX: half_pixel (o + 0.5)/s − 0.5; pytorch_half_pixel the same unless out = 1 (then 0); asymmetric o/s;
    // tf_half_pixel_for_nn (o + 0.5)/s; align_corners o·(in − 1)/(in·s − 1) (the resized length before flooring, as
    // ONNX's reference), 0 when out = 1; tf_crop_and_resize start·(in − 1) + o·(end − start)·(in − 1)/(in·s − 1), or
    // (start + end)/2·(in − 1) when out = 1.
    private static double Coordinate(int o, ResizeAxis a, ResizeCoordinates mode) => mode switch
    {
        ResizeCoordinates.HalfPixel => ((o + 0.5) / a.Scale) - 0.5,
        ResizeCoordinates.PytorchHalfPixel => a.Output > 1 ? ((o + 0.5) / a.Scale) - 0.5 : 0,
        ResizeCoordinates.Asymmetric => o / (double)a.Scale,
        ResizeCoordinates.TfHalfPixelForNn => (o + 0.5) / a.Scale,
        ResizeCoordinates.TfCropAndResize => a.Output > 1
            ? (a.RoiStart * (a.Input - 1.0)) + (o * ((double)a.RoiEnd - a.RoiStart) * (a.Input - 1.0) / ((a.Input * (double)a.Scale) - 1))
            : 0.5 * ((double)a.RoiStart + a.RoiEnd) * (a.Input - 1.0),
        _ => a.Output == 1 ? 0 : o * (a.Input - 1.0) / ((a.Input * (double)a.Scale) - 1),
    };

    // The input indices (clamped) and coefficients of output index o along one axis; null outside tf_crop_and_resize's crop.
    private static (int[] Index, double[] Coeff)? Window(int o, ResizeAxis a, ResizeSpec spec)
    {
        double x = Coordinate(o, a, spec.Coordinates);
        if (spec.Coordinates == ResizeCoordinates.TfCropAndResize && (x < 0 || x > a.Input - 1))
        {
            return null;
        }

        if (spec.Mode == ResizeMode.Nearest)
        {
            return ([Nearest(x, a, spec.Rounding)], [1.0]);
        }

        // ratio in (0, 1]: an integral x takes the pixel on its left as the first of the window's right half.
        double floor = Math.Floor(x), ratio = x == floor ? 1 : x - floor;
        double a3 = (spec.Options ?? ResizeOptions.Default).CubicA;
        double[] coeff = spec.Mode == ResizeMode.Linear ? [1 - ratio, ratio] : ResizeSampling.CubicCoefficients(ratio, a3);
        int n = coeff.Length, pad = (n + 1) / 2;

        // ONNX's get_neighbor: the n indices of the edge-padded axis nearest x + pad (ties to the smaller), ascending.
        var nearest = Enumerable.Range(0, a.Input + (2 * pad))
            .OrderBy(i => Math.Abs(x + pad - i)).ThenBy(i => i).Take(n).Order().Select(i => i - pad).ToArray();
        if ((spec.Options ?? ResizeOptions.Default).ExcludeOutside)
        {
            for (int k = 0; k < n; k++)
            {
                coeff[k] = nearest[k] < 0 || nearest[k] >= a.Input ? 0 : coeff[k];
            }

            double sum = coeff.Sum();
            coeff = [.. coeff.Select(c => c / sum)];
        }

        return ([.. nearest.Select(i => Math.Clamp(i, 0, a.Input - 1))], coeff);
    }

    private static int Nearest(double x, ResizeAxis a, NearestRounding rounding)
    {
        double f = Math.Floor(x);
        double i = rounding switch
        {
            NearestRounding.RoundPreferFloor => x - f == 0.5 ? f : Math.Round(x, MidpointRounding.AwayFromZero),
            NearestRounding.RoundPreferCeil => x - f == 0.5 ? f + 1 : Math.Round(x, MidpointRounding.AwayFromZero),
            NearestRounding.Floor => f,
            NearestRounding.Ceil => Math.Ceiling(x),
            _ => a.Scale < 1 ? Math.Ceiling(x) : f,
        };
        return (int)Math.Clamp(i, 0, a.Input - 1);
    }
}
