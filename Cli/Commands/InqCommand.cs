using System.CommandLine;
using System.Globalization;
using ILGPUInt8.Calibration.IO;
using ILGPUInt8.Cli.Common;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Training;
using ILGPUInt8.Training.Inq;
using ILGPUInt8.Training.Onnx;
using Spectre.Console;
using LabelledImages = ILGPUInt8.Training.LabelledImages;

namespace ILGPUInt8.Cli.Commands;

/// <summary>
/// <c>ilgpu-int8 inq --model M.onnx --data DIR --bits 5 --out M_inq.onnx</c>: Incremental Network Quantization (Zhou et
/// al. 2017) in C#, the GEMMs on the GPU when present (<c>--device</c>), else on the CPU SGEMM, bit-identical on either:
/// the convolution and fully connected weights become {±2^n, 0} in steps (50 → 75 → 87.5 → 100 % of each layer by
/// magnitude), SGD retraining the rest between steps on the folder's training images; test top-1
/// after each step (a table, a CSV and an OxyPlot SVG plot); the ONNX file written with the power-of-two weights (same
/// graph, runs in ONNX Runtime unchanged). Every output is checked before the training starts and written atomically.
/// </summary>
public sealed class InqCommand : CliCommand
{
    private readonly Option<string?> _model = CliOptions.Text("--model", "the FP32 ONNX model to quantize (Conv, BatchNormalization, Relu, MaxPool, Flatten/Reshape, Gemm, Softmax)", "M.onnx", required: true);
    private readonly Option<string?> _data = CliOptions.Text("--data", "an IDX folder with train-* (retraining) and t10k-* (top-1 after each step) images and labels", "DIR", required: true);
    private readonly Option<int> _bits = CliOptions.Int("--bits", "bit width of the weights: 2^(b−1)/2 exponents per sign and zero (3 bits: ±2^n1, ±2^(n1−1), 0)", 5, 2, 8);
    private readonly Option<string?> _out = CliOptions.Text("--out", "the ONNX model to write, with power-of-two weights", "M_inq.onnx", required: true);
    private readonly Option<double> _epochs = CliOptions.Number("--epochs-per-step", "SGD epochs over the training images after each step", 0.5, 0, 100);
    private readonly Option<int?> _trainImages = CliOptions.OptionalInt("--train-images", "training images to retrain on (default: all)");
    private readonly Option<int?> _testImages = CliOptions.OptionalInt("--test-images", "test images for top-1 (default: all)");
    private readonly Option<int> _batch = CliOptions.Int("--batch", "SGD mini-batch size", 64, 1, 4096);
    private readonly Option<double> _learningRate = CliOptions.Number("--learning-rate", "SGD learning rate at the start of each step (falls linearly to a tenth within it)", 0.01, 1e-6, 10);
    private readonly Option<int> _seed = CliOptions.Int("--seed", "seed of the shuffles", 1, 0);
    private readonly Option<string?> _plot = CliOptions.Text("--plot", "the SVG plot of top-1 after each step (default: OUT without .onnx + .inq.svg)", "F.svg");
    private readonly Option<string?> _table = CliOptions.Text("--csv", "the CSV table of the steps (default: OUT without .onnx + .inq.csv)", "F.csv");
    private readonly Option<string> _device = CliOptions.Device("the training GEMMs");
    private readonly Option<bool> _noProgress = CliOptions.Flag("--no-progress", "no progress bars");
    private readonly Option<bool> _json = CliOptions.Json();

    /// <inheritdoc />
    public override string Name => "inq";

    /// <inheritdoc />
    public override string Description => "retrain a model to power-of-two weights (INQ, 2–8 bits) and write the ONNX file, a per-step table and plot";

    /// <inheritdoc />
    public override int Run(CliInvocation run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var console = run.Console;
        var modelPath = run.Required(_model);
        var folder = run.Required(_data);
        var outPath = run.Required(_out);
        var bits = run.Get(_bits);
        var options = new InqOptions
        {
            Bits = bits,
            EpochsPerStep = run.Get(_epochs),
            BatchSize = run.Get(_batch),
            LearningRate = (float)run.Get(_learningRate),
            Seed = run.Get(_seed),
        };
        var trainCount = run.Get(_trainImages);
        var testCount = run.Get(_testImages);
        var json = run.Get(_json);
        var show = !run.Get(_noProgress) && !json;
        var stem = outPath.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) ? outPath[..^5] : outPath;
        var plotPath = run.Get(_plot) ?? stem + ".inq.svg";
        var tablePath = run.Get(_table) ?? stem + ".inq.csv";

        // --device (read with the other options) sets ILGPUINT8_DEVICE for the run; auto is then CUDA when the library
        // would pick it, else the host SGEMM.
        using var choice = run.UseDevice(_device);

        // Everything that can fail fast does, before minutes of training: the model maps, the data loads, the outputs
        // can be written and do not overwrite the model.
        if (!File.Exists(modelPath))
        {
            throw new FileNotFoundException($"Model '{modelPath}' not found.", modelPath);
        }

        foreach (var (path, what) in new[] { (outPath, "quantized model"), (plotPath, "plot"), (tablePath, "table") })
        {
            OutputPaths.CheckFile(path, what);
            if (string.Equals(Path.GetFullPath(path), Path.GetFullPath(modelPath), StringComparison.Ordinal))
            {
                throw new CliUsageException($"The {what} '{path}' would overwrite the model: choose another --out, --plot or --csv.");
            }
        }

        using var device = TrainingDevice.Open(DeviceKind.Auto);
        var network = OnnxTrainable.Load(modelPath);
        network.Device = device;
        var train = Take(LabelledImages.Load(folder, train: true), trainCount);
        var test = Take(LabelledImages.Load(folder, train: false), testCount);
        options.Validate();
        if (!json)
        {
            console.MarkupLineInterpolated($"model   {modelPath}: {IncrementalQuantizer.QuantizedWeights(network).Sum(p => p.Value.Length):N0} weights to quantize ({bits} bits)");
            console.MarkupLineInterpolated($"data    {train.Count} training and {test.Count} test images of {folder}");
            console.MarkupLineInterpolated($"steps   {string.Join(" → ", options.Portions.Select(p => (p * 100).ToString("0.#", CultureInfo.InvariantCulture) + " %"))}, {options.EpochsPerStep:0.##} epoch after each");
            console.MarkupLineInterpolated($"device  {device.Description} (the GEMMs; the other layers on {Environment.ProcessorCount} CPU cores)");
        }

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        var rows = ProgressBars.Run(console, show, bars =>
        {
            var stepBars = new Dictionary<int, IProgressBar>();
            return IncrementalQuantizer.Run(network, train, test, options, (step, done, total, loss) =>
            {
                if (!stepBars.TryGetValue(step, out var bar))
                {
                    var portion = options.Portions[step - 1] * 100;
                    bar = stepBars[step] = bars.Add(string.Create(CultureInfo.InvariantCulture, $"step {step}: {portion:0.#} % fixed, retrain"), total);
                }

                bar.SetValue(done);
            });
        });
        var seconds = watch.Elapsed.TotalSeconds;
        var cpuSeconds = (System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;

        var pow2 = IncrementalQuantizer.QuantizedWeights(network).All(p => PowerOfTwoCheck(p.Value));
        if (!pow2)
        {
            throw new InvalidOperationException("INQ finished with a weight that is not a power of two or zero (a bug).");
        }

        OnnxTrainable.Export(modelPath, network, outPath);
        AtomicFile.WriteAllText(tablePath, InqReport.Csv(rows));
        AtomicFile.WriteAllText(plotPath, InqReport.Svg(rows, bits));
        var size = Size(network, bits);
        if (json)
        {
            run.WriteJson(new
            {
                model = modelPath,
                output = outPath,
                bits,
                device = device.Description,
                float_top1 = rows[0].Top1,
                final_top1 = rows[^1].Top1,
                steps = rows.Select(r => new { portion = r.Portion, top1 = r.Top1, train_loss = double.IsNaN(r.TrainLoss) ? (double?)null : r.TrainLoss, seconds = r.Seconds }),
                train_images = train.Count,
                test_images = test.Count,
                seconds,
                cpu_seconds = cpuSeconds,
                weight_bytes = size,
                plot = plotPath,
                table = tablePath,
            });
            return 0;
        }

        var table = new Table().Title($"[bold]INQ {bits}-bit: test top-1 after each step[/]").AddColumn(new TableColumn("fixed").RightAligned())
            .AddColumn(new TableColumn("top-1").RightAligned()).AddColumn(new TableColumn("vs float").RightAligned())
            .AddColumn(new TableColumn("train loss").RightAligned()).AddColumn(new TableColumn("seconds").RightAligned());
        foreach (var r in rows)
        {
            table.AddRow(
                r.Portion == 0 ? "float" : string.Create(CultureInfo.InvariantCulture, $"{r.Portion * 100:0.#} %"),
                string.Create(CultureInfo.InvariantCulture, $"{r.Top1 * 100:F2} %"),
                string.Create(CultureInfo.InvariantCulture, $"{(r.Top1 - rows[0].Top1) * 100:+0.00;-0.00;0.00}"),
                double.IsNaN(r.TrainLoss) ? "-" : r.TrainLoss.ToString("F4", CultureInfo.InvariantCulture),
                r.Seconds.ToString("F1", CultureInfo.InvariantCulture));
        }

        console.Write(table);
        console.MarkupLineInterpolated($"weights {size}");
        console.MarkupLineInterpolated($"time    {seconds:F1} s wall, {cpuSeconds:F1} s CPU (all threads)");
        console.MarkupLineInterpolated($"wrote   {outPath} (power-of-two weights), {tablePath}, {plotPath}");
        return 0;
    }

    private static LabelledImages Take(LabelledImages images, int? count) =>
        count is { } n && n < images.Count ? images.Slice(0, n) : images;

    // Every value 0 or ±2^n exactly.
    private static bool PowerOfTwoCheck(float[] values) =>
        values.All(v => v == 0f || (float.IsFinite(v) && BitConverter.SingleToInt32Bits(Math.Abs(v)) % (1 << 23) == 0));

    // The storage of the quantized weights: nibbles where b ≤ 4 (Pow2Nibbles), else b bits a weight packed.
    private static string Size(TrainableNetwork network, int bits)
    {
        if (bits <= 4)
        {
            return Pow2ModelSize.Of(network).ToString();
        }

        long weights = IncrementalQuantizer.QuantizedWeights(network).Sum(p => (long)p.Value.Length);
        long packed = ((weights * bits) + 7) / 8;
        return string.Create(CultureInfo.InvariantCulture, $"{weights:N0} weights: float32 {4 * weights:N0} B, int8 {weights:N0} B, {bits}-bit codes {packed:N0} B ({4.0 * weights / packed:F1}× smaller than float32; the engine's nibble format holds up to 4 bits)");
    }
}
