using System.Globalization;
using ILGPUInt8.Cli.Common;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Layers.Runtime;
using Spectre.Console;

namespace ILGPUInt8.Cli.Commands;

/// <summary>
/// <c>bench --devices</c>: one engine replicated on every device listed (<see cref="DataParallelRunner"/>, work
/// stealing or static by --split), the seeded random batch run over and over; throughput per device and in all.
/// </summary>
internal static class BenchDevices
{
    /// <summary>
    /// Warm-up (<paramref name="warmup"/> batches per device, at least one), then timed runs of at least
    /// <paramref name="iterations"/> batches (and at least one per device) until <paramref name="duration"/> seconds have
    /// passed; returns the JSON object of this precision and adds its rows to <paramref name="table"/>.
    /// </summary>
    public static object Measure(Engine engine, string label, DeviceSet devices, DataParallelSplit split, int batch, int warmup, int iterations, double duration, Table table)
    {
        var inputs = RandomInputs.For(engine.Inputs, batch, seed: 1);
        using var runner = DataParallel.Runner(engine, devices, split);
        var count = devices.Devices.Count;
        var batches = Enumerable.Repeat<IReadOnlyDictionary<string, float[]>>(inputs, Math.Max(iterations, count)).ToList();
        var hash = RandomInputs.Hash(engine, runner.Run([inputs])[0]);
        runner.Run([.. Enumerable.Repeat<IReadOnlyDictionary<string, float[]>>(inputs, Math.Max(1, warmup) * count)]);
        var perDevice = new (long Batches, long Items, double Seconds)[count];
        long items = 0, runs = 0;
        double seconds = 0;
        do
        {
            runner.Run(batches);
            var stats = runner.LastRun!;
            foreach (var d in stats.Devices)
            {
                perDevice[d.Index].Batches += d.Batches;
                perDevice[d.Index].Items += d.Items;
                perDevice[d.Index].Seconds += d.Seconds;
            }

            items += stats.Items;
            runs += stats.Batches;
            seconds += stats.Seconds;
        }
        while (seconds < duration);

        // images/s of a device = its items / its thread's seconds; in all = every item / the runs' wall seconds.
        var total = seconds > 0 ? items / seconds : 0;
        var rows = devices.Devices.Select((d, i) => new
        {
            device = d.DisplayName,
            batches = perDevice[i].Batches,
            images = perDevice[i].Items,
            images_per_s = perDevice[i].Seconds > 0 ? perDevice[i].Items / perDevice[i].Seconds : 0,
        }).ToList();
        foreach (var r in rows)
        {
            table.AddRow(label.ToUpperInvariant(), Markup.Escape(r.device), r.batches.ToString(CultureInfo.InvariantCulture), r.images.ToString(CultureInfo.InvariantCulture), r.images_per_s.ToString("N1", CultureInfo.InvariantCulture));
        }

        table.AddRow(label.ToUpperInvariant(), "[bold]total[/]", runs.ToString(CultureInfo.InvariantCulture), items.ToString(CultureInfo.InvariantCulture), $"[bold]{total.ToString("N1", CultureInfo.InvariantCulture)}[/]");
        return new { precision = label, images_per_s = total, timed_batches = runs, seconds, outputs_sha256 = hash, devices = rows };
    }

    /// <summary>The per-device table's columns.</summary>
    public static Table NewTable(string title) =>
        new Table().Title(title).AddColumn("precision").AddColumn("device").AddColumn(new TableColumn("batches").RightAligned())
            .AddColumn(new TableColumn("images").RightAligned()).AddColumn(new TableColumn("images/s").RightAligned())
            .Caption("per device: its images / its own busy seconds; total: all images / wall seconds (devices run side by side)");
}
