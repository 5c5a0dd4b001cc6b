using ILGPUInt8.Layers.Onnx;
using ILGPUInt8.Layers.Onnx.Reference;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;
using static ILGPUInt8.Tests.Onnx.OnnxProtoBuilder;

namespace ILGPUInt8.Tests.Onnx;

/// <summary>
/// Shapes composed of the engine's 2-D layers: MatMul / Gemm on stacks of matrices, with transA or a bias varying along
/// the rows (<see cref="BatchedMatMulSpec"/>), 3-D and dilated pooling, 3-D ConvTranspose. Each model runs through the
/// scalar reference interpreter and the FP32 engine (CPU accelerator), both compared with a scalar loop written here.
/// </summary>
public class BroaderShapesTests
{
    private const double Tolerance = 1e-4;

    /// <summary>Runs <paramref name="model"/> on x of <paramref name="shape"/> ([N, …]; taken whole when unit) both ways and compares with expected.</summary>
    private static void Check(byte[] model, float[] x, long[] shape, float[] expected, bool unit = false)
    {
        var options = unit ? new OnnxImportOptions { UnitBatch = true } : new OnnxImportOptions { BatchSize = (int)shape[0] };
        var loaded = OnnxNetworkLoader.Load(model, "broader", options);
        long[] fed = unit ? [1, .. shape] : shape;
        var reference = OnnxReference.Run(loaded.Imported, new Dictionary<string, ReferenceTensor> { ["x"] = new(fed, x) })["y"].Data;
        int batch = (int)fed[0];
        using var engine = EngineBuilder.Build(loaded.Network, new BuilderConfig { MaxBatchSize = batch }, TestDevices.Cpu);
        using var context = engine.CreateExecutionContext();
        var actual = context.Execute(new Dictionary<string, float[]> { ["x"] = x }, batch)["y"];
        Assert.Equal(expected.Length, reference.Length);
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double bound = Tolerance * (1 + Math.Abs(expected[i]));
            Assert.True(Math.Abs(reference[i] - expected[i]) <= bound, $"reference y[{i}] = {reference[i]}, expected {expected[i]}");
            Assert.True(Math.Abs(actual[i] - expected[i]) <= bound, $"engine y[{i}] = {actual[i]}, expected {expected[i]}");
        }
    }

    [Theory]
    [InlineData(3)] // a [N, 3, 5, 4]: one matrix per weight matrix
    [InlineData(1)] // a [N, 1, 5, 4]: one matrix shared by the 3 weight matrices
    public void MatMul_broadcasts_the_stacked_dimensions(int stacked)
    {
        // y[b, g, m, n] = Σ_k a[b, g or 0, m, k]·W[g, k, n]; a [2, stacked, 5, 4], W [3, 4, 6] → y [2, 3, 5, 6].
        float[] a = Random(2 * stacked * 5 * 4, 11), w = Random(3 * 4 * 6, 12);
        var model = Model(13, [Node("MatMul", ["x", "w"], ["y"])], [Value("x", -1, stacked, 5, 4)], [Value("y", -1, 3, 5, 6)],
            [Floats("w", [3, 4, 6], w)]).Bytes();
        var y = new float[2 * 3 * 5 * 6];
        for (int b = 0; b < 2; b++)
        {
            for (int g = 0; g < 3; g++)
            {
                for (int m = 0; m < 5; m++)
                {
                    for (int n = 0; n < 6; n++)
                    {
                        double sum = 0;
                        for (int k = 0; k < 4; k++)
                        {
                            sum += a[(((((b * stacked) + (stacked == 1 ? 0 : g)) * 5) + m) * 4) + k] * (double)w[(((g * 4) + k) * 6) + n];
                        }

                        y[(((((b * 3) + g) * 5) + m) * 6) + n] = (float)sum;
                    }
                }
            }
        }

        Check(model, a, [2, stacked, 5, 4], y);
    }

    [Fact]
    public void MatMul_of_a_rank_3_input_and_a_matrix_multiplies_each_row()
    {
        float[] a = Random(2 * 5 * 4, 21), w = Random(4 * 3, 22);
        var model = Model(13, [Node("MatMul", ["x", "w"], ["y"])], [Value("x", -1, 5, 4)], [Value("y", -1, 5, 3)], [Floats("w", [4, 3], w)]).Bytes();
        var y = new float[2 * 5 * 3];
        for (int r = 0; r < 10; r++)
        {
            for (int n = 0; n < 3; n++)
            {
                y[(r * 3) + n] = (float)Enumerable.Range(0, 4).Sum(k => a[(r * 4) + k] * (double)w[(k * 3) + n]);
            }
        }

        Check(model, a, [2, 5, 4], y);
    }

    [Theory]
    [InlineData(3, 5)] // C [M, N]
    [InlineData(3, 1)] // C [M, 1], repeated along n
    public void Gemm_with_transA_and_a_bias_along_the_rows_runs_taken_whole(int biasRows, int biasColumns)
    {
        // y[m, n] = alpha·Σ_k A[k, m]·B[n, k] + beta·C[m, n or 0]; A [6, 3] (transA), B [5, 6] (transB): y [3, 5].
        const float alpha = 0.5f, beta = -1.5f;
        float[] a = Random(6 * 3, 31), b = Random(5 * 6, 32), c = Random(biasRows * biasColumns, 33);
        var model = Model(13, [Node("Gemm", ["x", "b", "c"], ["y"], Int("transA", 1), Int("transB", 1), Float("alpha", alpha), Float("beta", beta))],
            [Value("x", 6, 3)], [Value("y", 3, 5)], [Floats("b", [5, 6], b), Floats("c", [biasRows, biasColumns], c)]).Bytes();
        Assert.Throws<OnnxImportException>(() => OnnxNetworkLoader.Load(model));
        var y = new float[3 * 5];
        for (int m = 0; m < 3; m++)
        {
            for (int n = 0; n < 5; n++)
            {
                double sum = Enumerable.Range(0, 6).Sum(k => a[(k * 3) + m] * (double)b[(n * 6) + k]);
                y[(m * 5) + n] = (float)((alpha * sum) + (beta * c[(m * biasColumns) + (biasColumns == 1 ? 0 : n)]));
            }
        }

        Check(model, a, [6, 3], y, unit: true);
    }

    [Theory]
    [InlineData("MaxPool", 0)]
    [InlineData("AveragePool", 0)]
    [InlineData("AveragePool", 1)]
    public void Pooling_3d_with_strides_and_pads_is_pooling_over_each_box(string op, int countIncludePad)
    {
        // x [2, 2, 5, 6, 7], window (3, 2, 3), strides (2, 1, 2), pads begin (1, 0, 1) end (1, 1, 0) → y [2, 2, 3, 6, 3].
        int[] size = [5, 6, 7], k = [3, 2, 3], s = [2, 1, 2], begin = [1, 0, 1], end = [1, 1, 0];
        int[] output = [.. Enumerable.Range(0, 3).Select(i => ((size[i] + begin[i] + end[i] - k[i]) / s[i]) + 1)];
        float[] x = Random(2 * 2 * 5 * 6 * 7, 41);
        var model = Model(11, [Node(op, ["x"], ["y"], Ints("kernel_shape", 3, 2, 3), Ints("strides", 2, 1, 2), Ints("pads", 1, 0, 1, 1, 1, 0), Int("count_include_pad", countIncludePad))],
            [Value("x", -1, 2, 5, 6, 7)], [Value("y", -1, 2, output[0], output[1], output[2])]).Bytes();
        var y = new List<float>();
        for (int plane = 0; plane < 4; plane++)
        {
            for (int z = 0; z < output[0]; z++)
            {
                for (int p = 0; p < output[1]; p++)
                {
                    for (int q = 0; q < output[2]; q++)
                    {
                        // The window's input pixels (those inside the input; padding is skipped, or counted when included).
                        double max = double.NegativeInfinity, sum = 0;
                        int count = 0;
                        for (int a = 0; a < k[0] * k[1] * k[2]; a++)
                        {
                            int i = (z * s[0]) - begin[0] + (a / (k[1] * k[2])), j = (p * s[1]) - begin[1] + (a / k[2] % k[1]), l = (q * s[2]) - begin[2] + (a % k[2]);
                            if (i < 0 || i >= size[0] || j < 0 || j >= size[1] || l < 0 || l >= size[2])
                            {
                                continue;
                            }

                            float v = x[(((((plane * size[0]) + i) * size[1]) + j) * size[2]) + l];
                            max = Math.Max(max, v);
                            sum += v;
                            count++;
                        }

                        y.Add((float)(op == "MaxPool" ? max : sum / (countIncludePad == 1 ? k[0] * k[1] * k[2] : count)));
                    }
                }
            }
        }

        Check(model, x, [2, 2, 5, 6, 7], [.. y]);
    }

    [Fact]
    public void Dilated_max_pooling_with_strides_and_pads_is_the_max_over_the_dilated_window()
    {
        // x [2, 3, 9, 8], window (3, 2), dilations (2, 3), strides (2, 1), pads (top 1, left 1, bottom 2, right 0) → y [2, 3, 4, 6].
        const int h = 9, w = 8, p = 4, q = 6;
        float[] x = Random(2 * 3 * h * w, 51);
        var model = Model(12, [Node("MaxPool", ["x"], ["y"], Ints("kernel_shape", 3, 2), Ints("dilations", 2, 3), Ints("strides", 2, 1), Ints("pads", 1, 1, 2, 0))],
            [Value("x", -1, 3, h, w)], [Value("y", -1, 3, p, q)]).Bytes();
        var y = new float[2 * 3 * p * q];
        for (int e = 0; e < y.Length; e++)
        {
            int plane = e / (p * q), row = e / q % p, col = e % q;
            float max = float.NegativeInfinity;
            for (int r = 0; r < 3; r++)
            {
                for (int c = 0; c < 2; c++)
                {
                    int i = (row * 2) - 1 + (r * 2), j = col - 1 + (c * 3);
                    if (i >= 0 && i < h && j >= 0 && j < w)
                    {
                        max = Math.Max(max, x[(((plane * h) + i) * w) + j]);
                    }
                }
            }

            y[e] = max;
        }

        Check(model, x, [2, 3, h, w], y);
    }

    [Fact]
    public void Dilated_max_pooling_1d()
    {
        // x [2, 3, 11], window 3, dilation 2, stride 2 → y [2, 3, 4]: y[t] = max(x[2t], x[2t + 2], x[2t + 4]).
        float[] x = Random(2 * 3 * 11, 52);
        var model = Model(12, [Node("MaxPool", ["x"], ["y"], Ints("kernel_shape", 3), Ints("dilations", 2), Ints("strides", 2))],
            [Value("x", -1, 3, 11)], [Value("y", -1, 3, 4)]).Bytes();
        float[] y = [.. Enumerable.Range(0, 2 * 3 * 4).Select(e => Enumerable.Range(0, 3).Max(r => x[(e / 4 * 11) + (e % 4 * 2) + (r * 2)]))];
        Check(model, x, [2, 3, 11], y);
    }

    [Fact]
    public void ConvTranspose_3d_scatters_each_input_pixel_through_the_3d_filter()
    {
        // x [2, 3, 3, 4, 2], W [3, 2, 2, 3, 2], strides (2, 1, 2), pads begin (1, 0, 0) end (0, 1, 1), dilations (1, 2, 1),
        // output_padding (1, 0, 1): y[n, k, z, p, q] = bias[k] + Σ x[n, c, i, h, w]·W[c, k, a, r, s] over
        // z = 2i − 1 + a, p = h + 2r, q = 2w + s (then cropped): y [2, 2, 6, 7, 4].
        int[] size = [3, 4, 2], kern = [2, 3, 2], s = [2, 1, 2], begin = [1, 0, 0], end = [0, 1, 1], dil = [1, 2, 1], outPad = [1, 0, 1];
        int[] o = [.. Enumerable.Range(0, 3).Select(i => (s[i] * (size[i] - 1)) + outPad[i] + ((kern[i] - 1) * dil[i]) + 1 - begin[i] - end[i])];
        Assert.Equal([6, 7, 4], o);
        float[] x = Random(2 * 3 * 3 * 4 * 2, 61), wt = Random(3 * 2 * 2 * 3 * 2, 62), bias = [0.25f, -0.5f];
        var model = Model(11, [Node("ConvTranspose", ["x", "w", "b"], ["y"], Ints("strides", 2, 1, 2), Ints("pads", 1, 0, 0, 0, 1, 1), Ints("dilations", 1, 2, 1), Ints("output_padding", 1, 0, 1))],
            [Value("x", -1, 3, 3, 4, 2)], [Value("y", -1, 2, 6, 7, 4)], [Floats("w", [3, 2, 2, 3, 2], wt), Floats("b", [2], bias)]).Bytes();
        var y = new double[2 * 2 * o[0] * o[1] * o[2]];
        for (int n = 0; n < 2; n++)
        {
            for (int e = 0; e < 3 * 3 * 4 * 2; e++)
            {
                int c = e / 24, i = e / 8 % 3, h = e / 2 % 4, w = e % 2;
                for (int f = 0; f < 2 * 2 * 3 * 2; f++)
                {
                    int k = f / 12, a = f / 6 % 2, r = f / 2 % 3, t = f % 2;
                    int z = (i * s[0]) - begin[0] + (a * dil[0]), p = (h * s[1]) - begin[1] + (r * dil[1]), q = (w * s[2]) - begin[2] + (t * dil[2]);
                    if (z >= 0 && z < o[0] && p >= 0 && p < o[1] && q >= 0 && q < o[2])
                    {
                        y[(((((((n * 2) + k) * o[0]) + z) * o[1]) + p) * o[2]) + q] += x[(n * 72) + e] * (double)wt[(c * 24) + f];
                    }
                }
            }
        }

        Check(model, x, [2, 3, 3, 4, 2], [.. y.Select((v, e) => (float)(v + bias[e / (o[0] * o[1] * o[2]) % 2]))]);
    }

    [Theory]
    [InlineData(2, 0, 0, 2)] // the top crops 2 more than the bottom: output padding 1 + 2 reaches the stride
    [InlineData(0, 2, 2, 0)] // the left crops more
    [InlineData(2, 3, 0, 0)] // both
    public void ConvTranspose_cropping_the_start_by_more_than_the_stride_keeps_the_onnx_rows(int top, int left, int bottom, int right)
    {
        // x [2, 3, 4, 5], W [3, 2, 3, 3], strides 2, output_padding (1, 1): full 2·(in − 1) + 1 + 3 rows, cropped by the pads;
        // y[n, k, 2h − top + r, 2w − left + s] += x[n, c, h, w]·W[c, k, r, s].
        int p = (2 * 3) + 1 + 3 - top - bottom, q = (2 * 4) + 1 + 3 - left - right;
        float[] x = Random(2 * 3 * 4 * 5, 71), wt = Random(3 * 2 * 3 * 3, 72);
        var model = Model(11, [Node("ConvTranspose", ["x", "w"], ["y"], Ints("strides", 2, 2), Ints("pads", top, left, bottom, right), Ints("output_padding", 1, 1))],
            [Value("x", -1, 3, 4, 5)], [Value("y", -1, 2, p, q)], [Floats("w", [3, 2, 3, 3], wt)]).Bytes();
        var y = new double[2 * 2 * p * q];
        for (int e = 0; e < x.Length; e++)
        {
            int n = e / 60, c = e / 20 % 3, h = e / 5 % 4, w = e % 5;
            for (int f = 0; f < 18; f++)
            {
                int k = f / 9, r = f / 3 % 3, t = f % 3, i = (2 * h) - top + r, j = (2 * w) - left + t;
                if (i >= 0 && i < p && j >= 0 && j < q)
                {
                    y[(((((n * 2) + k) * p) + i) * q) + j] += x[e] * (double)wt[(c * 18) + f];
                }
            }
        }

        Check(model, x, [2, 3, 4, 5], [.. y.Select(v => (float)v)]);
    }

    [Fact]
    public void Conv_3d_with_groups_strides_pads_and_dilations_sums_over_the_3d_window()
    {
        // x [2, 4, 5, 6, 5], W [6, 2, 3, 2, 3] in 2 groups, strides (2, 1, 2), pads begin (1, 0, 1) end (0, 1, 1), dilations
        // (1, 2, 1): y[n, k, z, p, q] = bias[k] + Σ x[n, 2·(k / 3) + c, 2z − 1 + a, p + 2r, 2q − 1 + s]·W[k, c, a, r, s] → y [2, 6, 2, 5, 3].
        int[] size = [5, 6, 5], kern = [3, 2, 3], st = [2, 1, 2], begin = [1, 0, 1], end = [0, 1, 1], dil = [1, 2, 1];
        int[] o = [.. Enumerable.Range(0, 3).Select(i => ((size[i] + begin[i] + end[i] - ((kern[i] - 1) * dil[i]) - 1) / st[i]) + 1)];
        Assert.Equal([2, 5, 3], o);
        float[] x = Random(2 * 4 * 5 * 6 * 5, 81), wt = Random(6 * 2 * 3 * 2 * 3, 82), bias = Random(6, 83);
        var model = Model(11, [Node("Conv", ["x", "w", "b"], ["y"], Int("group", 2), Ints("strides", 2, 1, 2), Ints("pads", 1, 0, 1, 0, 1, 1), Ints("dilations", 1, 2, 1))],
            [Value("x", -1, 4, 5, 6, 5)], [Value("y", -1, 6, 2, 5, 3)], [Floats("w", [6, 2, 3, 2, 3], wt), Floats("b", [6], bias)]).Bytes();
        var y = new float[2 * 6 * 2 * 5 * 3];
        for (int e = 0; e < y.Length; e++)
        {
            int n = e / 180, k = e / 30 % 6, z = e / 15 % 2, p = e / 3 % 5, q = e % 3;
            double sum = bias[k];
            for (int f = 0; f < 36; f++)
            {
                int c = f / 18, a = f / 6 % 3, r = f / 3 % 2, t = f % 3;
                int i = (z * 2) - 1 + a, j = p + (2 * r), l = (q * 2) - 1 + t;
                if (i >= 0 && i < 5 && j >= 0 && j < 6 && l >= 0 && l < 5)
                {
                    sum += x[(((((((n * 4) + (2 * (k / 3)) + c) * 5) + i) * 6) + j) * 5) + l] * (double)wt[(k * 36) + f];
                }
            }

            y[e] = (float)sum;
        }

        Check(model, x, [2, 4, 5, 6, 5], y);
    }
}
