using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Onnx.Reference;

/// <summary>The ONNX Resize over H and W of [N, C, H, W] (or L of [N, C, L]): nearest and linear, in double from ONNX's coordinate formulas.</summary>
internal sealed class ResizeOnnxReference : OnnxEvaluator<ResizeSpec>
{
    /// <inheritdoc />
    protected override ReferenceTensor Evaluate(ResizeSpec spec, IReadOnlyList<ReferenceTensor> x, long[] shape)
    {
        var s = x[0].Shape;
        int planes = (int)(s[0] * s[1]), inH = s.Length == 4 ? (int)s[2] : 1, inW = (int)s[^1];
        var y = new float[(long)planes * spec.OutH * spec.OutW];
        for (int p = 0; p < planes; p++)
        {
            for (int h = 0; h < spec.OutH; h++)
            {
                for (int w = 0; w < spec.OutW; w++)
                {
                    double v;
                    if (spec.Mode == ResizeMode.Nearest)
                    {
                        v = x[0].Data[(((long)p * inH) + Nearest(h, inH, spec.OutH, spec.ScaleH, spec)) * inW + Nearest(w, inW, spec.OutW, spec.ScaleW, spec)];
                    }
                    else
                    {
                        var (h0, h1, th) = Taps(h, inH, spec.OutH, spec.ScaleH, spec.Coordinates);
                        var (w0, w1, tw) = Taps(w, inW, spec.OutW, spec.ScaleW, spec.Coordinates);
                        double At(int r, int c) => x[0].Data[(((long)p * inH) + r) * inW + c];
                        v = ((1 - th) * (((1 - tw) * At(h0, w0)) + (tw * At(h0, w1)))) + (th * (((1 - tw) * At(h1, w0)) + (tw * At(h1, w1))));
                    }

                    y[(((long)p * spec.OutH) + h) * spec.OutW + w] = (float)v;
                }
            }
        }

        return new ReferenceTensor(shape, y);
    }

    // ONNX: half_pixel (o + 0.5)/s − 0.5; pytorch_half_pixel the same unless out = 1 (then 0); asymmetric o/s;
    // align_corners o·(in − 1)/(out − 1).
    private static double Coordinate(int o, int input, int output, float scale, ResizeCoordinates mode) => mode switch
    {
        ResizeCoordinates.HalfPixel => ((o + 0.5) / scale) - 0.5,
        ResizeCoordinates.PytorchHalfPixel => output > 1 ? ((o + 0.5) / scale) - 0.5 : 0,
        ResizeCoordinates.Asymmetric => o / (double)scale,
        _ => output == 1 ? 0 : o * (input - 1.0) / (output - 1),
    };

    private static int Nearest(int o, int input, int output, float scale, ResizeSpec spec)
    {
        double x = Coordinate(o, input, output, scale, spec.Coordinates), f = Math.Floor(x);
        double i = spec.Rounding switch
        {
            NearestRounding.RoundPreferFloor => x - f == 0.5 ? f : Math.Round(x, MidpointRounding.AwayFromZero),
            NearestRounding.RoundPreferCeil => x - f == 0.5 ? f + 1 : Math.Round(x, MidpointRounding.AwayFromZero),
            NearestRounding.Floor => f,
            NearestRounding.Ceil => Math.Ceiling(x),
            _ => scale < 1 ? Math.Ceiling(x) : f,
        };
        return (int)Math.Clamp(i, 0, input - 1);
    }

    private static (int I0, int I1, double T) Taps(int o, int input, int output, float scale, ResizeCoordinates mode)
    {
        double x = Math.Clamp(Coordinate(o, input, output, scale, mode), 0, input - 1);
        int i0 = (int)Math.Floor(x);
        return (i0, Math.Min(i0 + 1, input - 1), x - i0);
    }
}
