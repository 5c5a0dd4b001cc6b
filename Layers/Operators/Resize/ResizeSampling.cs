namespace ILGPUInt8.Layers.Operators;

/// <summary>One spatial axis of a resize: input and output lengths, the scale, and the crop [RoiStart, RoiEnd] (tf_crop_and_resize's roi, normalised; else [0, 1]).</summary>
internal readonly record struct ResizeAxis(int Input, int Output, float Scale, float RoiStart = 0f, float RoiEnd = 1f);

/// <summary>
/// Where an output index of a resize samples its input, along one axis, in float as ONNX Runtime computes it: the source
/// coordinate, the nearest index, and the taps (input index, weight) of each mode. A coordinate outside tf_crop_and_resize's
/// crop has the index −1 on its first tap (the output is extrapolation_value there).
/// </summary>
internal static class ResizeSampling
{
    /// <summary>The input coordinate of output index <paramref name="o"/>.</summary>
    // ONNX coordinate_transformation_mode, x_original of x_resized = o (length_resized = in·scale, unfloored):
    //   half_pixel           (o + 1/2)/scale − 1/2
    //   pytorch_half_pixel   out > 1 ? (o + 1/2)/scale − 1/2 : 0
    //   asymmetric           o/scale
    //   tf_half_pixel_for_nn (o + 1/2)/scale
    //   align_corners        out > 1 ? o·(in − 1)/(in·scale − 1) : 0
    //   tf_crop_and_resize   out > 1 ? start·(in − 1) + o·(end − start)·(in − 1)/(in·scale − 1) : (start + end)/2·(in − 1)
    public static float SourceCoordinate(int o, ResizeAxis a, ResizeCoordinates mode) => mode switch
    {
        ResizeCoordinates.HalfPixel => ((o + 0.5f) / a.Scale) - 0.5f,
        ResizeCoordinates.PytorchHalfPixel => a.Output > 1 ? ((o + 0.5f) / a.Scale) - 0.5f : 0f,
        ResizeCoordinates.Asymmetric => o / a.Scale,
        ResizeCoordinates.TfHalfPixelForNn => (o + 0.5f) / a.Scale,
        ResizeCoordinates.TfCropAndResize => a.Output > 1
            ? (a.RoiStart * (a.Input - 1)) + (o * (a.RoiEnd - a.RoiStart) * (a.Input - 1) / ((a.Input * a.Scale) - 1f))
            : 0.5f * (a.RoiStart + a.RoiEnd) * (a.Input - 1),
        _ => a.Output == 1 ? 0f : o * (float)(a.Input - 1) / ((a.Input * a.Scale) - 1f),
    };

    /// <summary>tf_crop_and_resize: whether the coordinate <paramref name="x"/> lies outside [0, in − 1] (ONNX: then y = extrapolation_value).</summary>
    public static bool Outside(float x, ResizeAxis a, ResizeCoordinates mode) => mode == ResizeCoordinates.TfCropAndResize && (x < 0f || x > a.Input - 1);

    /// <summary>The nearest input index of output index <paramref name="o"/>, clamped to [0, in − 1]; −1 outside the crop.</summary>
    public static int NearestIndex(int o, ResizeAxis a, ResizeCoordinates mode, NearestRounding rounding)
    {
        float x = SourceCoordinate(o, a, mode);
        if (Outside(x, a, mode))
        {
            return -1;
        }

        double f = Math.Floor(x);
        double i = rounding switch
        {
            NearestRounding.RoundPreferFloor => x == f + 0.5 ? f : Math.Round(x, MidpointRounding.AwayFromZero),
            NearestRounding.RoundPreferCeil => x == f + 0.5 ? f + 1 : Math.Round(x, MidpointRounding.AwayFromZero),
            NearestRounding.Floor => f,
            NearestRounding.Ceil => Math.Ceiling(x),
            _ => a.Scale < 1f ? Math.Ceiling(x) : f,
        };
        return (int)Math.Clamp(i, 0, a.Input - 1);
    }

    /// <summary>Linear: the two input indices and the weight of the second for output index <paramref name="o"/>.</summary>
    // x clamped to [0, in − 1], i0 = ⌊x⌋, i1 = min(i0 + 1, in − 1), weight x − i0.
    public static (int I0, int I1, float Weight) LinearTaps(int o, ResizeAxis a, ResizeCoordinates mode)
    {
        float x = Math.Clamp(SourceCoordinate(o, a, mode), 0f, a.Input - 1);
        int i0 = Math.Min((int)x, a.Input - 1);
        return (i0, Math.Min(i0 + 1, a.Input - 1), x - i0);
    }

    /// <summary>Cubic: the four weights of the taps ⌊x⌋ − 1 … ⌊x⌋ + 2 at t = x − ⌊x⌋ (ONNX's cubic coefficients, in double).</summary>
    // ONNX (Keys' kernel with A = cubic_coeff_a), the weights of the taps at distances 1 + t, t, 1 − t, 2 − t:
    //   ((A(1 + t) − 5A)(1 + t) + 8A)(1 + t) − 4A,   ((A + 2)t − (A + 3))t² + 1,
    //   ((A + 2)(1 − t) − (A + 3))(1 − t)² + 1,       ((A(2 − t) − 5A)(2 − t) + 8A)(2 − t) − 4A.
    public static double[] CubicCoefficients(double t, double a)
    {
        double p = 1 + t, q = 1 - t, r = 2 - t;
        return
        [
            ((((a * p) - (5 * a)) * p) + (8 * a)) * p - (4 * a),
            ((((a + 2) * t) - (a + 3)) * t * t) + 1,
            ((((a + 2) * q) - (a + 3)) * q * q) + 1,
            ((((a * r) - (5 * a)) * r) + (8 * a)) * r - (4 * a),
        ];
    }

    /// <summary>The number of taps per output index of a mode (nearest 1, linear 2, cubic 4).</summary>
    public static int TapCount(ResizeMode mode) => mode switch { ResizeMode.Nearest => 1, ResizeMode.Linear => 2, _ => 4 };

    /// <summary>The taps of output index <paramref name="o"/>: <see cref="TapCount"/> input indices and weights.</summary>
    // Nearest: (index, 1); linear: (i0, 1 − w), (i1, w); cubic: ⌊x⌋ − 1 + k with CubicCoefficients, where exclude_outside
    // zeroes the weights of indices outside [0, in − 1] and divides the rest by their sum; indices clamp to [0, in − 1]
    // (ONNX pads the edge). Outside the crop: index −1, weights 0.
    public static void Taps(int o, ResizeAxis a, ResizeLayer l, Span<int> index, Span<float> weight)
    {
        index.Clear();
        weight.Clear();
        float x = SourceCoordinate(o, a, l.Coordinates);
        if (Outside(x, a, l.Coordinates))
        {
            index[0] = -1;
            return;
        }

        switch (l.Mode)
        {
            case ResizeMode.Nearest:
                (index[0], weight[0]) = (NearestIndex(o, a, l.Coordinates, l.Rounding), 1f);
                return;
            case ResizeMode.Linear:
                var (i0, i1, w) = LinearTaps(o, a, l.Coordinates);
                (index[0], weight[0], index[1], weight[1]) = (i0, 1f - w, i1, w);
                return;
        }

        double floor = Math.Floor(x);
        var c = CubicCoefficients(x - floor, l.Options.CubicA);
        double sum = 0;
        for (int k = 0; k < 4; k++)
        {
            long i = (long)floor - 1 + k;
            if (l.Options.ExcludeOutside && (i < 0 || i >= a.Input))
            {
                c[k] = 0;
            }

            sum += c[k];
            index[k] = (int)Math.Clamp(i, 0, a.Input - 1);
        }

        for (int k = 0; k < 4; k++)
        {
            weight[k] = (float)(l.Options.ExcludeOutside && sum != 0 ? c[k] / sum : c[k]);
        }
    }
}

/// <summary>The taps of a resize along H and W (<see cref="ResizeSampling.Taps"/>): K per output row and per output column.</summary>
internal sealed record ResizeTaps(int K, int[] H, float[] Wh, int[] W, float[] Ww, float Extrapolation)
{
    public static ResizeTaps Of(ResizeLayer l, int inH, int inW)
    {
        int k = ResizeSampling.TapCount(l.Mode);
        var (h, wh) = Axis(l, l.AxisH(inH), l.OutH, k);
        var (w, ww) = Axis(l, l.AxisW(inW), l.OutW, k);
        return new(k, h, wh, w, ww, l.Options.Extrapolation);
    }

    /// <summary>Output (h, w) of one plane: x[r·rowStride + s·colStride] is input pixel (r, s).</summary>
    // y = Σ_a Wh[hK + a] · (Σ_b Ww[wK + b] · x[H[hK + a]][W[wK + b]]), each sum from 0 left to right (the device and
    // host steps sum alike); extrapolation_value when either axis is outside the crop (tap index −1).
    public float Sample(ReadOnlySpan<float> x, long rowStride, long colStride, int h, int w)
    {
        int hb = h * K, wb = w * K;
        if (H[hb] < 0 || W[wb] < 0)
        {
            return Extrapolation;
        }

        float acc = 0f;
        for (int a = 0; a < K; a++)
        {
            float row = 0f;
            for (int b = 0; b < K; b++)
            {
                row += Ww[wb + b] * x[(int)((H[hb + a] * rowStride) + (W[wb + b] * colStride))];
            }

            acc += Wh[hb + a] * row;
        }

        return acc;
    }

    private static (int[] Index, float[] Weight) Axis(ResizeLayer l, ResizeAxis a, int output, int k)
    {
        var index = new int[output * k];
        var weight = new float[output * k];
        for (int o = 0; o < output; o++)
        {
            ResizeSampling.Taps(o, a, l, index.AsSpan(o * k, k), weight.AsSpan(o * k, k));
        }

        return (index, weight);
    }
}
