using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Calibration.Tables;
using ILGPUInt8.Cli.Common;
using ILGPUInt8.Layers.Runtime;
using Spectre.Console;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Cli.Commands;

/// <summary>
/// <c>ilgpu-int8 bench --model M [--precision fp32|fp16|int8|best|both] [--layer-precision NAME=P] [--batch 64]</c>, trtexec's way: seeded random inputs,
/// warm-up runs, then at least --iterations timed runs and at least --duration seconds; throughput and latency
/// min/mean/median/p90/p95/p99/max; --export-times (every run), --profile (per-step times, --export-profile),
/// --layer-info, --save-engine / --load-engine. Each timed run copies the inputs in and the outputs out (synchronous,
/// pageable); then <see cref="BenchIo"/> reports H2D, GPU compute and D2H alone, the H2D bandwidth and bound, and the
/// end-to-end throughput of the pipelined runner (pinned memory, copies overlapped with compute). INT8 ranges come
/// from --table, the model's QDQ ranges, or else a min-max calibration on the random batch (speed only).
/// </summary>
public sealed class BenchCommand : CliCommand
{
    private readonly Option<string?> _model = CliOptions.Text("--model", "the ONNX model, or synthetic:small-cnn | synthetic:resnet18 | synthetic:resnet50 (required unless --load-engine)", "M.onnx");
    private readonly Option<string?> _loadEngine = CliOptions.Text("--load-engine", "benchmark an engine file saved by --save-engine (versioned and checksummed) instead of building one", "F");
    private readonly Option<string?> _saveEngine = CliOptions.Text("--save-engine", "write the built engine to this file (one --precision, not both)", "F");
    private readonly Option<int> _batch = CliOptions.Int("--batch", "batch size", 64, 1, CliOptions.MaxBatch);
    private readonly Option<string> _precision = CliPrecision.Option("both", "both");
    private readonly Option<string[]> _layerPrecision = CliPrecision.LayerOption();
    private readonly Option<string> _tf32 = CliPrecision.Tf32Option();
    private readonly Option<string?> _timingCache = CliPrecision.TimingCacheOption();
    private readonly Option<string?> _table = CliOptions.Table();
    private readonly Option<int> _warmup = CliOptions.Int("--warmup", "untimed runs first", 3, 0, 1_000_000);
    private readonly Option<int> _iterations = CliOptions.Int("--iterations", "timed runs (at least)", 20, 1, 1_000_000);
    private readonly Option<double> _duration = CliOptions.Number("--duration", "keep timing until this many seconds have passed (at least)", 0, 0, 86_400);
    private readonly Option<string?> _exportTimes = CliOptions.Text("--export-times", "write every timed run's milliseconds as JSON", "F.json");
    private readonly Option<bool> _profile = CliOptions.Flag("--profile", "time every step (per-layer profile, averaged over up to 10 runs)");
    private readonly Option<string?> _exportProfile = CliOptions.Text("--export-profile", "write the per-step profile as JSON (implies --profile)", "F.json");
    private readonly Option<bool> _layerInfo = CliOptions.Flag("--layer-info", "print every step: type, fused activation, precision, shapes, kernel, scratch, network layers, memory");
    private readonly Option<string[]> _allowMissing = CliOptions.AllowMissing();
    private readonly Option<bool> _json = CliOptions.Json();
    private readonly Option<string> _device = CliOptions.Device();
    private readonly Option<string?> _devices = CliOptions.Devices("the timed batches");
    private readonly Option<string> _split = CliOptions.Split();
    private readonly Option<string> _input = CliOptions.Choice("--input", "what each run copies in: float NCHW, or uint8 NHWC images (normalization folded into the INT8 stem's table)", "float", "float", "u8");

    /// <inheritdoc />
    public override string Name => "bench";

    /// <inheritdoc />
    public override string Description => "throughput and latency percentiles of the FP32 and INT8 engines on seeded random inputs";

    /// <inheritdoc />
    public override int Run(CliInvocation run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var console = run.Console;
        var modelPath = run.Get(_model);
        var loadPath = run.Get(_loadEngine);
        var savePath = run.Get(_saveEngine);
        var batch = run.Get(_batch);
        var precision = run.Get(_precision);
        var layerPrecision = run.Get(_layerPrecision);
        var tf32 = run.Get(_tf32);
        var timingCachePath = run.Get(_timingCache);
        var tablePath = run.Get(_table);
        var warmup = run.Get(_warmup);
        var iterations = run.Get(_iterations);
        var duration = run.Get(_duration);
        var timesPath = run.Get(_exportTimes);
        var profilePath = run.Get(_exportProfile);
        var profile = run.Get(_profile) || profilePath is not null;
        var layerInfo = run.Get(_layerInfo);
        var json = run.Get(_json);
        var allowMissing = run.Get(_allowMissing);
        var u8 = run.Get(_input) == "u8";
        var devicesText = run.Get(_devices);
        var split = DataParallel.Split(run.Get(_split));
        using var device = run.UseDevice(_device);
        using var devices = CliInvocation.OpenDevices(devicesText);

        if (modelPath is null && loadPath is null)
        {
            throw new CliUsageException("bench needs --model (to build an engine) or --load-engine (a saved one).");
        }

        if (savePath is not null && (loadPath is not null || precision == "both"))
        {
            throw new CliUsageException("--save-engine saves one built engine: give one --precision (fp32, fp16, int8 or best), and no --load-engine.");
        }

        var model = modelPath is not null ? ModelFile.Load(modelPath) : null;
        if (model is not null)
        {
            run.PrintNotes(model, json);
        }

        var thresholds = tablePath is not null && model is not null ? CalibrationFiles.ReadTable(tablePath, model) : null;
        var timingCache = CliPrecision.LoadTimingCache(timingCachePath);
        if (!json)
        {
            console.MarkupLineInterpolated($"device  {RunCommand.DeviceLine(devices)}");
        }

        var results = new List<object>();
        var table = new Table().AddColumn("");
        var rows = new List<(string Label, List<string> Cells)>
        {
            ("images/s", []), ("latency min (ms)", []), ("mean", []), ("median", []), ("p90", []), ("p95", []), ("p99", []), ("max", []),
            ("timed runs", []), ("INT8 ranges", []), ("outputs SHA-256", []),
        };
        var ioRows = new List<(string Label, List<string> Cells)>();
        var times = new Dictionary<string, double[]>(StringComparer.Ordinal);
        var profiles = new Dictionary<string, object>(StringComparer.Ordinal);
        var precisions = loadPath is not null ? ["engine"] : precision == "both" ? new[] { "fp32", "int8" } : [precision];
        if (devices is not null)
        {
            if (profile || u8 || timesPath is not null)
            {
                throw new CliUsageException("--devices times throughput per device; --profile, --export-profile, --export-times and --input u8 time one device (leave --devices out).");
            }

            var perDevice = BenchDevices.NewTable($"[bold]{Markup.Escape(modelPath ?? loadPath!)}, batch {batch}, {devices.Devices.Count} devices[/]");
            foreach (var p in precisions)
            {
                var (engine, ranges) = p == "engine" ? (EngineFiles.Load(loadPath!), "saved engine") : Build(console, model!, CliPrecision.Parse(p, layerPrecision, tf32) with { TimingCache = timingCache }, batch, thresholds, allowMissing);
                using (engine)
                {
                    if (batch > engine.MaxBatchSize)
                    {
                        throw new CliUsageException($"--batch {batch} is larger than the engine's maximum batch {engine.MaxBatchSize}; give --batch {engine.MaxBatchSize} or less.");
                    }

                    if (savePath is not null)
                    {
                        EngineFiles.Save(engine, savePath);
                    }

                    if (!json && layerInfo)
                    {
                        console.Write(EngineFiles.LayerTable(engine));
                    }

                    results.Add(BenchDevices.Measure(engine, p == "engine" ? EngineFiles.Precision(engine) : p, devices, split, batch, warmup, iterations, duration, perDevice));
                }
            }

            if (json)
            {
                run.WriteJson(new { model = modelPath ?? loadPath, batch, warmup, iterations, duration_s = duration, device = RunCommand.DeviceLine(devices), notes = model?.Notes ?? [], results });
            }
            else
            {
                console.Write(perDevice);
            }

            SaveTimingCache(timingCachePath, timingCache);

            return 0;
        }

        foreach (var p in precisions)
        {
            var (engine, ranges) = p == "engine" ? (EngineFiles.Load(loadPath!), "saved engine") : Build(console, model!, CliPrecision.Parse(p, layerPrecision, tf32) with { TimingCache = timingCache }, batch, thresholds, allowMissing);
            using (engine)
            {
                var label = p == "engine" ? EngineFiles.Precision(engine) : p;
                if (batch > engine.MaxBatchSize)
                {
                    throw new CliUsageException($"--batch {batch} is larger than the engine's maximum batch {engine.MaxBatchSize}; give --batch {engine.MaxBatchSize} or less.");
                }

                if (savePath is not null)
                {
                    var saved = EngineFiles.Save(engine, savePath);
                    if (!json)
                    {
                        console.MarkupLineInterpolated($"engine  saved to {saved}");
                    }
                }

                var inputs = RandomInputs.For(engine.Inputs, batch, seed: 1);
                using var context = engine.CreateExecutionContext();
                var hash = RandomInputs.Hash(engine, context.Execute(inputs, batch));
                var images = u8 ? BenchImageInput.For(engine, batch, model?.Preprocessing) : null;
                var ms = Time(context, inputs, batch, warmup, iterations, duration, images);
                var stats = LatencyStats.Of(ms);
                times[label] = ms;
                var cells = new[] { stats.ImagesPerSecond(batch), stats.Min, stats.Mean, stats.Median, stats.P90, stats.P95, stats.P99, stats.Max };
                for (var i = 0; i < cells.Length; i++)
                {
                    rows[i].Cells.Add(cells[i].ToString(i == 0 ? "N1" : "F3", CultureInfo.InvariantCulture));
                }

                rows[8].Cells.Add(stats.Count.ToString(CultureInfo.InvariantCulture));
                rows[9].Cells.Add(Markup.Escape(ranges));
                rows[10].Cells.Add(hash[..16]);
                var io = BenchIo.Measure(engine, inputs[engine.Inputs[0].Name], images, batch, iterations, duration);
                AddIoCells(ioRows, io, results.Count);
                table.AddColumn(new TableColumn(label.ToUpperInvariant()).RightAligned());
                EngineProfile? steps = profile ? Profile(context, inputs, batch, Math.Min(iterations, 10)) : null;
                if (steps is not null)
                {
                    profiles[label] = ProfileJson(steps);
                }

                results.Add(new
                {
                    precision = label,
                    images_per_s = stats.ImagesPerSecond(batch),
                    median_ms = stats.Median,
                    latency_ms = new { min = stats.Min, mean = stats.Mean, median = stats.Median, p90 = stats.P90, p95 = stats.P95, p99 = stats.P99, max = stats.Max },
                    timed_runs = stats.Count,
                    seconds = stats.TotalSeconds,
                    ranges,
                    outputs_sha256 = hash,
                    io = io?.Json(),
                    layers = layerInfo ? EngineFiles.LayerJson(engine) : null,
                    profile = steps is not null ? ProfileJson(steps) : null,
                });
                if (!json && layerInfo)
                {
                    console.Write(EngineFiles.LayerTable(engine));
                }

                if (!json && steps is not null)
                {
                    console.Write(ProfileTable(steps, label));
                }
            }
        }

        if (timesPath is not null)
        {
            JsonFiles.Write(timesPath, new { batch, warmup, times_ms = times });
        }

        if (profilePath is not null)
        {
            JsonFiles.Write(profilePath, new { batch, profiles });
        }

        if (json)
        {
            run.WriteJson(new { model = modelPath ?? loadPath, batch, warmup, iterations, duration_s = duration, device = Engines.DeviceLine(), notes = model?.Notes ?? [], results });
            SaveTimingCache(timingCachePath, timingCache);

            return 0;
        }

        foreach (var (label, cells) in rows.Concat(ioRows))
        {
            table.AddRow([label, .. cells]);
        }

        table.Title($"[bold]{Markup.Escape(modelPath ?? loadPath!)}, batch {batch}[/]")
            .Caption("images/s and latency: synchronous Execute (pageable copies in, compute, copy out), ms per batch, percentiles nearest-rank; "
                + "I/O rows: each stage alone from page-locked memory, and batches streamed with the copies overlapped with compute (trtexec's way)");
        console.Write(table);
        SaveTimingCache(timingCachePath, timingCache);

        return 0;
    }

    // Writes the timing cache back (atomically) when --timing-cache named one.
    private static void SaveTimingCache(string? path, TimingCache? cache)
    {
        if (path is not null)
        {
            cache?.Save(path);
        }
    }

    /// <summary>Adds one column's cells of the I/O rows (column <paramref name="column"/>; "-" where the engine has several bindings).</summary>
    private static void AddIoCells(List<(string Label, List<string> Cells)> ioRows, BenchIoResult? io, int column)
    {
        foreach (var (label, cell) in io?.Rows() ?? [])
        {
            var row = ioRows.FindIndex(r => r.Label == label);
            if (row < 0)
            {
                ioRows.Add((label, [.. Enumerable.Repeat("-", column)]));
                row = ioRows.Count - 1;
            }

            ioRows[row].Cells.Add(cell);
        }

        foreach (var (_, cells) in ioRows.Where(r => r.Cells.Count == column))
        {
            cells.Add("-");
        }
    }

    private static (Engine Engine, string Ranges) Build(IAnsiConsole console, ModelFile model, CliPrecision precision, int batch, CalibrationTable? thresholds, IReadOnlyCollection<string> allowMissing)
    {
        if (!precision.NeedsRanges)
        {
            return (Engines.Float(model.Network, batch, precision), "-");
        }

        if (thresholds is not null || model.QdqRanges > 0)
        {
            return (Engines.Int8(model, batch, thresholds, null, allowMissing, precision: precision), thresholds is not null ? "table" : "QDQ");
        }

        // Speed only: min-max ranges of the random batch itself.
        var bindings = model.Network.Inputs.Select(i => new EngineBinding(i.Name, i.Dims)).ToList();
        var inputs = RandomInputs.For(bindings, batch, seed: 1);
        var tensors = bindings.ToDictionary(b => b.Name, b => new HostTensor(inputs[b.Name], [batch, b.Dims.C, b.Dims.H, b.Dims.W]), StringComparer.Ordinal);
        var data = new InMemoryDataSource([new CalibrationBatch(0, batch, tensors)]);
        var engine = ProgressBars.Run(console, false, bars => Engines.Calibrate(model, data, CalibrationFiles.Method("minmax"), batch, bars, precision: precision)).Engine;
        return (engine, "min-max on random inputs");
    }

    /// <summary>Warm-up runs, then timed runs until both <paramref name="iterations"/> and <paramref name="seconds"/> are reached.</summary>
    private static double[] Time(ExecutionContext context, Dictionary<string, float[]> inputs, int batch, int warmup, int iterations, double seconds, BenchImageInput? images)
    {
        for (var i = 0; i < warmup; i++)
        {
            BenchImageInput.Execute(context, inputs, batch, images);
        }

        var times = new List<double>(iterations);
        var total = Stopwatch.StartNew();
        while (times.Count < iterations || total.Elapsed.TotalSeconds < seconds)
        {
            var watch = Stopwatch.StartNew();
            BenchImageInput.Execute(context, inputs, batch, images);
            times.Add(watch.Elapsed.TotalMilliseconds);
        }

        return [.. times];
    }

    /// <summary>The per-step profile averaged over <paramref name="runs"/> profiled runs.</summary>
    private static EngineProfile Profile(ExecutionContext context, Dictionary<string, float[]> inputs, int batch, int runs)
    {
        var first = context.Profile(inputs, batch);
        var sums = first.Layers.Select(l => l.Milliseconds).ToArray();
        for (var r = 1; r < runs; r++)
        {
            var next = context.Profile(inputs, batch);
            for (var i = 0; i < sums.Length && i < next.Layers.Count; i++)
            {
                sums[i] += next.Layers[i].Milliseconds;
            }
        }

        return new EngineProfile(batch, [.. first.Layers.Select((l, i) => l with { Milliseconds = sums[i] / runs })]);
    }

    private static object ProfileJson(EngineProfile p) => new
    {
        total_ms = p.TotalMilliseconds,
        launches = p.Launches,
        steps = p.Layers.Select(l => new { name = l.Name, type = l.Type?.ToString(), precision = l.Precision.ToLowerInvariant(), launches = l.Launches, ms = l.Milliseconds }),
    };

    private static Table ProfileTable(EngineProfile p, string label)
    {
        var table = new Table().Title($"[bold]{label.ToUpperInvariant()} profile, batch {p.BatchSize}[/]").AddColumn("step").AddColumn("type").AddColumn("prec")
            .AddColumn(new TableColumn("launches").RightAligned()).AddColumn(new TableColumn("ms").RightAligned()).AddColumn(new TableColumn("%").RightAligned());
        var total = p.TotalMilliseconds;
        foreach (var l in p.Layers)
        {
            table.AddRow(Markup.Escape(l.Name), l.Type?.ToString() ?? "convert", l.Int8 ? "INT8" : "FP32", l.Launches.ToString(CultureInfo.InvariantCulture),
                l.Milliseconds.ToString("F4", CultureInfo.InvariantCulture), (total > 0 ? l.Milliseconds / total * 100 : 0).ToString("F1", CultureInfo.InvariantCulture));
        }

        table.AddRow("total", string.Empty, string.Empty, p.Launches.ToString(CultureInfo.InvariantCulture), total.ToString("F4", CultureInfo.InvariantCulture), "100.0");
        return table;
    }
}
