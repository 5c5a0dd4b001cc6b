using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Cli.Common;
using ILGPUInt8.Layers;
using Spectre.Console;

namespace ILGPUInt8.Cli.Commands;

/// <summary>
/// <c>ilgpu-int8 bench --model M --batch 64 --precision fp32|int8|both</c>: images/s of the engines on random inputs
/// (seeded), the median of timed runs after warm-up, inputs copied in and outputs out each run. INT8 ranges come from
/// --table, the model's QDQ ranges, or else a min-max calibration on random batches (speed only: its accuracy means
/// nothing).
/// </summary>
public sealed class BenchCommand : CliCommand
{
    private readonly Option<string?> _model = CliOptions.Model();
    private readonly Option<int> _batch = CliOptions.Int("--batch", "batch size", 64, 1, CliOptions.MaxBatch);
    private readonly Option<string> _precision = CliOptions.Choice("--precision", "engine precision", "both", "fp32", "int8", "both");
    private readonly Option<int> _iterations = CliOptions.Int("--iterations", "timed runs", 20, 1, 10_000_000);
    private readonly Option<int> _warmup = CliOptions.Int("--warmup", "untimed runs first", 3, 0, 10_000_000);
    private readonly Option<string?> _table = CliOptions.Table();
    private readonly Option<string[]> _allowMissing = CliOptions.AllowMissing();
    private readonly Option<bool> _json = CliOptions.Json();
    private readonly Option<string> _device = CliOptions.Device();

    /// <inheritdoc />
    public override string Name => "bench";

    /// <inheritdoc />
    public override string Description => "images/s of the FP32 and INT8 engines on seeded random inputs, after warm-up";

    /// <inheritdoc />
    public override int Run(CliInvocation run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var console = run.Console;
        var modelPath = run.Required(_model);
        var batch = run.Get(_batch);
        var precision = run.Get(_precision);
        var iterations = run.Get(_iterations);
        var warmup = run.Get(_warmup);
        var tablePath = run.Get(_table);
        var json = run.Get(_json);
        var allowMissing = run.Get(_allowMissing);
        using var device = run.UseDevice(_device);
        var model = ModelFile.Load(modelPath);
        run.PrintNotes(model, json);
        var thresholds = tablePath is not null ? CalibrationFiles.ReadTable(tablePath, model) : null;
        var inputs = RandomInputs(model.Network, batch, seed: 1);
        if (!json)
        {
            console.MarkupLineInterpolated($"device  {Engines.DeviceLine()}");
        }

        var rows = new List<(string Precision, double MedianMs, double ImagesPerSecond, string Ranges)>();
        foreach (var p in precision == "both" ? new[] { "fp32", "int8" } : [precision])
        {
            var ranges = "-";
            Engine engine;
            if (p == "fp32")
            {
                engine = Engines.Fp32(model.Network, batch);
            }
            else if (thresholds is not null || model.QdqRanges > 0)
            {
                engine = Engines.Int8(model, batch, thresholds, null, allowMissing);
                ranges = thresholds is not null ? "table" : "QDQ";
            }
            else
            {
                var data = new InMemoryDataSource([new CalibrationBatch(0, batch, inputs.ToDictionary(kv => kv.Key, kv => new HostTensor(kv.Value, [batch, .. Item(model.Network, kv.Key)]), StringComparer.Ordinal))]);
                engine = ProgressBars.Run(console, false, bars => Engines.Calibrate(model, data, CalibrationFiles.Method("minmax"), batch, bars)).Engine;
                ranges = "min-max on random inputs";
            }

            using (engine)
            {
                var median = MedianMs(engine, inputs, batch, warmup, iterations);
                rows.Add((p, median, batch * 1000.0 / median, ranges));
            }
        }

        if (json)
        {
            var result = new
            {
                model = modelPath,
                batch,
                iterations,
                results = rows.Select(r => new { precision = r.Precision, median_ms = r.MedianMs, images_per_s = r.ImagesPerSecond, ranges = r.Ranges }),
            };
            run.WriteJson(result);
            return 0;
        }

        var table = new Table().Title($"[bold]{Markup.Escape(modelPath)}, batch {batch}, median of {iterations} runs[/]")
            .AddColumn("precision").AddColumn(new TableColumn("ms / batch").RightAligned()).AddColumn(new TableColumn("images/s").RightAligned()).AddColumn("INT8 ranges");
        foreach (var r in rows)
        {
            table.AddRow(r.Precision.ToUpperInvariant(), r.MedianMs.ToString("F3", CultureInfo.InvariantCulture), r.ImagesPerSecond.ToString("N1", CultureInfo.InvariantCulture), Markup.Escape(r.Ranges));
        }

        console.Write(table);
        return 0;
    }

    private static double MedianMs(Engine engine, Dictionary<string, float[]> inputs, int batch, int warmup, int iterations)
    {
        using var context = engine.CreateExecutionContext();
        for (var i = 0; i < warmup; i++)
        {
            context.Execute(inputs, batch);
        }

        var times = new double[iterations];
        for (var i = 0; i < iterations; i++)
        {
            var watch = Stopwatch.StartNew();
            context.Execute(inputs, batch);
            times[i] = watch.Elapsed.TotalMilliseconds;
        }

        Array.Sort(times);
        return iterations % 2 == 1 ? times[iterations / 2] : (times[(iterations / 2) - 1] + times[iterations / 2]) / 2;
    }

    private static Dictionary<string, float[]> RandomInputs(NetworkDefinition network, int batch, int seed)
    {
        var random = new Random(seed);
        var inputs = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var input in network.Inputs)
        {
            var values = new float[input.Dims.Volume * batch];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = (float)((random.NextDouble() * 2) - 1);
            }

            inputs[input.Name] = values;
        }

        return inputs;
    }

    private static int[] Item(NetworkDefinition network, string input)
    {
        var d = network.FindTensor(input)!.Dims;
        return [d.C, d.H, d.W];
    }
}
