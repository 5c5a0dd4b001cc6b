using ILGPUInt8.Layers.Onnx;
using ILGPUInt8.Layers.Onnx.Reference;
using ILGPUInt8.Layers.Operators;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;
using static ILGPUInt8.Tests.Onnx.OnnxProtoBuilder;

namespace ILGPUInt8.Tests.Operators;

/// <summary>
/// Resize's cubic mode and the tf_half_pixel_for_nn and tf_crop_and_resize coordinates (Layers/Operators/Resize/): an
/// ONNX Resize-13 of odd sizes, by scales and by sizes, for each coordinate_transformation_mode, checked against the ONNX
/// formulas written out here in double (Keys' cubic kernel W(d) with a = cubic_coeff_a, exclude_outside renormalising,
/// edge clamping, the extrapolation value outside the crop) on the ONNX reference, the plan reference, and the FP32
/// engine on the ILGPU CPU accelerator, the CPU backend and after an engine file round trip (the engines equal the plan
/// reference bit for bit). An INT8 engine runs cubic in FP32.
/// </summary>
public sealed class ResizeInterpolationTests
{
    private static readonly float[] Roi = [0f, 0f, 0.2f, -0.15f, 1f, 1f, 0.9f, 1.1f];
    private const float Extrapolation = 0.75f;

    public static TheoryData<string, string, float, bool, bool, bool> Cases()
    {
        var data = new TheoryData<string, string, float, bool, bool, bool>();
        string[] all = ["half_pixel", "pytorch_half_pixel", "asymmetric", "align_corners", "tf_half_pixel_for_nn", "tf_crop_and_resize"];
        foreach (var c in all)
        {
            data.Add("cubic", c, -0.75f, false, false, false);
            data.Add("cubic", c, -0.5f, true, true, false);
        }

        data.Add("cubic", "half_pixel", -0.75f, true, false, true);
        data.Add("cubic", "tf_crop_and_resize", -0.6f, false, true, true);
        data.Add("linear", "tf_crop_and_resize", -0.75f, false, false, false);
        data.Add("linear", "tf_crop_and_resize", -0.75f, false, true, false);
        data.Add("linear", "tf_half_pixel_for_nn", -0.75f, false, true, false);
        data.Add("nearest", "tf_crop_and_resize", -0.75f, false, false, false);
        data.Add("nearest", "tf_half_pixel_for_nn", -0.75f, false, true, false);
        data.Add("nearest", "tf_half_pixel_for_nn", -0.75f, false, false, true);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Resize_matches_the_onnx_formulas_on_every_path(string mode, string coordinates, float a, bool excludeOutside, bool bySizes, bool rank3)
    {
        const int n = 2;
        var (loaded, xShape, x, expected) = Case(mode, coordinates, a, excludeOutside, bySizes, rank3);
        Close(expected, OnnxReference.Run(loaded.Imported, new Dictionary<string, ReferenceTensor> { ["x"] = new(xShape, x) })["y"].Data, "ONNX reference");
        var plan = NetworkReference.Run(loaded.Network, new Dictionary<string, float[]> { ["x"] = x }, n)["y"];
        Close(expected, plan, "plan reference");

        using var engines = OperatorEngines.Build(loaded.Network, new BuilderConfig { MaxBatchSize = n });
        foreach (var engine in engines.All)
        {
            using var context = engine.CreateExecutionContext();
            Assert.Equal(plan, context.Execute(x, n));
        }
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Cubic_and_cropping_resizes_run_on_cuda()
    {
        var device = TestDevices.Cuda;
        foreach (var (mode, coordinates, rank3) in new[] { ("cubic", "half_pixel", false), ("cubic", "tf_crop_and_resize", true), ("linear", "tf_crop_and_resize", false), ("nearest", "tf_crop_and_resize", false) })
        {
            var (loaded, _, x, expected) = Case(mode, coordinates, -0.5f, true, false, rank3);
            using var engine = EngineBuilder.Build(loaded.Network, new BuilderConfig { MaxBatchSize = 2 }, device);
            using var context = engine.CreateExecutionContext();
            Close(expected, context.Execute(x, 2), $"{mode} {coordinates} on CUDA");
        }
    }

    // An ONNX Resize-13 of x [2, 3, 5, 7] (rank3: [2, 3, 7]) by scales (1.6, 2.2) or to sizes (3, 4), its input and the expected output.
    private static (OnnxLoadedModel Loaded, long[] XShape, float[] X, float[] Expected) Case(string mode, string coordinates, float a, bool excludeOutside, bool bySizes, bool rank3)
    {
        const int n = 2, c = 3;
        long[] xShape = rank3 ? [n, c, 7] : [n, c, 5, 7];
        long[] sizes = rank3 ? [n, c, 4] : [n, c, 3, 4];
        float[] scales = rank3 ? [1f, 1f, 2.2f] : [1f, 1f, 1.6f, 2.2f];
        long[] yShape = bySizes ? sizes : [.. xShape.Select((d, i) => (long)Math.Floor(d * (double)scales[i]))];
        var model = Model(13, [Node("Resize", ["x", "roi", bySizes ? string.Empty : "scales", bySizes ? "sizes" : string.Empty], ["y"],
            String("mode", mode), String("coordinate_transformation_mode", coordinates), Float("cubic_coeff_a", a),
            Int("exclude_outside", excludeOutside ? 1 : 0), Float("extrapolation_value", Extrapolation))],
            [Value("x", xShape)], [Value("y", yShape)],
            [Floats("roi", [2 * xShape.Length], rank3 ? [0f, 0f, Roi[3], 1f, 1f, Roi[7]] : Roi), Floats("scales", [scales.Length], scales), Int64s("sizes", [sizes.Length], sizes)]);
        var loaded = OnnxNetworkLoader.Load(model.Bytes(), "resize");
        var x = Random((int)xShape.Aggregate(1L, (p, d) => p * d), seed: 17);
        return (loaded, xShape, x, Expected(x, xShape, yShape, bySizes ? null : scales, mode, coordinates, a, excludeOutside));
    }

    [Fact]
    public void An_int8_engine_runs_cubic_resize_in_fp32()
    {
        const int n = 2;
        var model = Model(13, [Node("Resize", ["x", string.Empty, "scales"], ["y"], String("mode", "cubic"))],
            [Value("x", n, 4, 5, 3)], [Value("y", n, 4, 8, 6)], [Floats("scales", [4], [1f, 1f, 1.6f, 2f])]);
        var loaded = OnnxNetworkLoader.Load(model.Bytes(), "resize");
        var x = Random(n * 4 * 5 * 3, seed: 5);
        var expected = Expected(x, [n, 4, 5, 3], [n, 4, 8, 6], [1f, 1f, 1.6f, 2f], "cubic", "half_pixel", -0.75f, false);
        var config = new BuilderConfig { MaxBatchSize = n, Int8 = true, Calibrator = new MaxAbsCalibrator([(new Dictionary<string, float[]> { ["x"] = x }, n)]) };
        using var accelerator = EngineBuilder.Build(loaded.Network, config, TestDevices.Cpu);
        using var cpu = EngineBuilder.BuildCpu(loaded.Network, config);
        foreach (var engine in new[] { accelerator, cpu })
        {
            Assert.Contains(engine.Plan.Nodes, p => p.Layer is ResizeLayer { Mode: ResizeMode.Cubic } && !p.Int8);
            using var context = engine.CreateExecutionContext();
            Close(expected, context.Execute(x, n), engine.BackendName);
        }
    }

    [Theory]
    [InlineData(13, "cubic", "tf_crop_and_resize", 1, 0, "crops N or C")]
    [InlineData(18, "cubic", "half_pixel", 0, 1, "antialias")]
    [InlineData(10, "cubic", "asymmetric", 0, 0, "mode 'cubic'")]
    public void Unsupported_resizes_are_refused_by_name(int opset, string mode, string coordinates, int cropC, int antialias, string message)
    {
        float[] roi = [0f, 0f, 0f, 0f, 1f, 1f - (0.5f * cropC), 1f, 1f];
        var inputs = opset == 10 ? new[] { "x", "scales" } : ["x", "roi", "scales"];
        var attributes = new List<Layers.Onnx.Proto.AttributeProto> { String("mode", mode), Int("antialias", antialias) };
        if (opset > 10)
        {
            attributes.Add(String("coordinate_transformation_mode", coordinates));
        }

        var model = Model(opset, [Node("Resize", inputs, ["y"], [.. attributes])], [Value("x", 1, 2, 3, 3)], [Value("y", 1, 2, 6, 6)],
            [Floats("roi", [8], roi), Floats("scales", [4], [1f, 1f, 2f, 2f])]);
        var ex = Assert.Throws<OnnxImportException>(() => OnnxNetworkLoader.Load(model.Bytes(), "resize"));
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    private static void Close(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 2e-5 * (1 + Math.Abs(expected[i])), $"{what}: y[{i}] = {actual[i]}, expected {expected[i]}");
        }
    }

    /// <summary>The ONNX Resize of x (NCHW or NCL) over its last one or two axes, in double.</summary>
    private static float[] Expected(float[] x, long[] xs, long[] ys, float[]? scales, string mode, string coordinates, float a, bool exclude)
    {
        int r = xs.Length, planes = (int)(xs[0] * xs[1]);
        int inH = r == 4 ? (int)xs[2] : 1, inW = (int)xs[^1], outH = r == 4 ? (int)ys[2] : 1, outW = (int)ys[^1];
        double scaleH = r == 4 ? scales?[2] ?? (double)outH / inH : 1, scaleW = scales?[^1] ?? (double)outW / inW;
        var rows = Enumerable.Range(0, outH).Select(o => Taps(o, inH, outH, scaleH, r == 4 ? Roi[2] : 0, r == 4 ? Roi[6] : 1, mode, coordinates, a, exclude)).ToArray();
        var cols = Enumerable.Range(0, outW).Select(o => Taps(o, inW, outW, scaleW, Roi[3], Roi[7], mode, coordinates, a, exclude)).ToArray();
        var y = new float[planes * outH * outW];
        for (int p = 0; p < planes; p++)
        {
            for (int h = 0; h < outH; h++)
            {
                for (int w = 0; w < outW; w++)
                {
                    double v = Extrapolation;
                    if (rows[h] is { } th && cols[w] is { } tw)
                    {
                        v = th.Sum(t => t.Weight * tw.Sum(u => u.Weight * x[(((p * inH) + t.Index) * inW) + u.Index]));
                    }

                    y[(((p * outH) + h) * outW) + w] = (float)v;
                }
            }
        }

        return y;
    }

    // One axis: the input indices and weights of output index o; null outside tf_crop_and_resize's crop.
    private static (int Index, double Weight)[]? Taps(int o, int input, int output, double scale, double start, double end, string mode, string coordinates, double a, bool exclude)
    {
        double x = coordinates switch
        {
            "half_pixel" => ((o + 0.5) / scale) - 0.5,
            "pytorch_half_pixel" => output > 1 ? ((o + 0.5) / scale) - 0.5 : 0,
            "asymmetric" => o / scale,
            "tf_half_pixel_for_nn" => (o + 0.5) / scale,
            "align_corners" => output > 1 ? o * (input - 1.0) / ((input * scale) - 1) : 0,
            _ => output > 1 ? (start * (input - 1)) + (o * (end - start) * (input - 1) / ((input * scale) - 1)) : 0.5 * (start + end) * (input - 1),
        };
        if (coordinates == "tf_crop_and_resize" && (x < 0 || x > input - 1))
        {
            return null;
        }

        int Clamp(long i) => (int)Math.Clamp(i, 0, input - 1);
        double f = Math.Floor(x);
        if (mode == "nearest")
        {
            return [(Clamp((long)(x - f <= 0.5 ? f : f + 1)), 1.0)];
        }

        if (mode == "linear")
        {
            double xc = Math.Clamp(x, 0, input - 1), i0 = Math.Floor(xc);
            return [(Clamp((long)i0), 1 - (xc - i0)), (Clamp((long)i0 + 1), xc - i0)];
        }

        // Keys: W(d) = (a + 2)|d|³ − (a + 3)|d|² + 1 for |d| ≤ 1, a|d|³ − 5a|d|² + 8a|d| − 4a for 1 < |d| < 2.
        double W(double d) => Math.Abs(d) is var e && e <= 1 ? ((a + 2) * e * e * e) - ((a + 3) * e * e) + 1 : e < 2 ? (a * e * e * e) - (5 * a * e * e) + (8 * a * e) - (4 * a) : 0;
        var taps = Enumerable.Range(-1, 4).Select(k => (long)f + k).Where(i => !exclude || (i >= 0 && i < input)).Select(i => (Index: i, Weight: W(x - i))).ToArray();
        double sum = exclude ? taps.Sum(t => t.Weight) : 1;
        return [.. taps.Select(t => (Clamp(t.Index), t.Weight / sum))];
    }
}
