using System.Globalization;
using ILGPUInt8.Layers.Runtime;

namespace ILGPUInt8.Cli.Commands;

/// <summary>
/// The transfer side of <c>bench</c>, as trtexec reports it: each stage of one batch timed alone (H2D from page-locked
/// memory, GPU compute, D2H), the measured H2D bandwidth and the throughput it allows (bandwidth ÷ bytes an image), and
/// the end-to-end throughput of a <see cref="PipelinedRunner{TInput}"/> streaming batches with the copies overlapped
/// with compute. As in trtexec the inputs sit in page-locked host memory (written once into each slot); the outputs
/// come back into page-locked memory.
/// </summary>
internal static class BenchIo
{
    /// <summary>
    /// Measures <paramref name="engine"/> on <paramref name="input"/> (one batch), or on uint8 <paramref name="images"/>
    /// streamed as bytes when given and the engine takes them on the device (else the float input, and the result says
    /// why in its fallback); null for an engine with several inputs or outputs.
    /// </summary>
    public static BenchIoResult? Measure(Engine engine, float[] input, BenchImageInput? images, int batch, int iterations, double seconds)
    {
        if (engine.Inputs.Count != 1 || engine.Outputs.Count != 1)
        {
            return null;
        }

        if (images is not null)
        {
            PipelinedRunner<byte> runner;
            try
            {
                runner = PipelinedRunner.ForImages(engine, images.Preprocessing);
            }
            catch (NotSupportedException ex)
            {
                var floats = Measure(engine, input, null, batch, iterations, seconds);
                return floats is null ? null : floats with { Streamed = $"float NCHW ({ex.Message})" };
            }

            using (runner)
            {
                return Measure(runner, images.Images, batch, iterations, seconds) with { Streamed = "uint8 NHWC" };
            }
        }

        using var floatRunner = new PipelinedRunner<float>(engine);
        return Measure(floatRunner, input, batch, iterations, seconds);
    }

    private static BenchIoResult Measure<T>(PipelinedRunner<T> runner, T[] input, int batch, int iterations, double seconds)
        where T : unmanaged
    {
        // Batch i uses slot i mod depth, whose page-locked input memory keeps what it held: write each slot once for the
        // whole measurement (as trtexec streams from host buffers filled once), not once per Run: refilling 3 slots of
        // 154 MB of floats at every Run call put host copies on the critical path of the stream.
        var filled = new bool[runner.Depth];
        void Fill(long i, Span<T> span)
        {
            var slot = (int)(i % runner.Depth);
            if (!filled[slot])
            {
                input.CopyTo(span);
                filled[slot] = true;
            }
        }

        // Warm-up (graphs captured), then stages alone, then the stream for at least the runs and the seconds asked.
        runner.Run(Math.Max(2, runner.Depth) * 2L, batch, Fill, (_, _) => { });
        var stages = runner.MeasureStages(batch, Math.Max(5, Math.Min(iterations, 50)));
        var batches = Math.Max(iterations, 4 * runner.Depth);
        long items = 0;
        double elapsed = 0;
        do
        {
            runner.Run(batches, batch, Fill, (_, _) => { });
            items += runner.LastRun!.Items;
            elapsed += runner.LastRun.Seconds;
        }
        while (elapsed < seconds);

        // Images/s end to end = images streamed / wall seconds from the first fill to the last output.
        return new BenchIoResult(stages, elapsed > 0 ? items / elapsed : 0, items / batch, runner.Depth, runner.FallbackReason);
    }
}

/// <summary>What <see cref="BenchIo.Measure"/> found.</summary>
/// <param name="Stages">Each stage alone.</param>
/// <param name="EndToEnd">Images per second streamed end to end (host memory in, host memory out).</param>
/// <param name="Batches">Batches streamed.</param>
/// <param name="Depth">Slots of the pipeline.</param>
/// <param name="Fallback">Why copies were plain (not overlapped), or null.</param>
internal sealed record BenchIoResult(PipelineStageTimes Stages, double EndToEnd, long Batches, int Depth, string? Fallback)
{
    /// <summary>What was streamed: uint8 NHWC images, or float NCHW (with the reason when images were asked for).</summary>
    public string Streamed { get; init; } = "float NCHW";

    // The bound: min(compute images/s, H2D bandwidth ÷ input bytes an image); the ratio is end-to-end ÷ that bound.

    /// <summary>The lesser of the compute throughput and the H2D bound.</summary>
    public double Bound => Math.Min(Stages.ComputeItemsPerSecond, Stages.HostToDeviceBound);

    /// <summary>End to end ÷ <see cref="Bound"/>.</summary>
    public double OfBound => Bound > 0 && double.IsFinite(Bound) ? EndToEnd / Bound : 0;

    /// <summary>End to end ÷ compute alone.</summary>
    public double OfCompute => Stages.ComputeItemsPerSecond is > 0 and var c && double.IsFinite(c) ? EndToEnd / c : 0;

    /// <summary>Rows for the bench table: label and cell.</summary>
    public IEnumerable<(string Label, string Cell)> Rows()
    {
        var s = Stages;
        yield return ("I/O", Fallback is null ? $"pinned, {Depth} slots, overlapped" : "plain copies");
        yield return ("streamed input", Streamed);
        yield return ("H2D ms (GB/s)", $"{F(s.HostToDeviceMs, "F3")} ({F(s.HostToDeviceGBps, "F1")})");
        yield return ("H2D bound images/s", F(s.HostToDeviceBound, "N0"));
        yield return ("GPU compute ms", F(s.ComputeMs, "F3"));
        yield return ("compute images/s", F(s.ComputeItemsPerSecond, "N0"));
        yield return ("D2H ms (GB/s)", $"{F(s.DeviceToHostMs, "F3")} ({F(s.DeviceToHostGBps, "F1")})");
        yield return ("end-to-end images/s", F(EndToEnd, "N0"));
        yield return ("e2e / compute", F(OfCompute, "F2"));
        yield return ("e2e / min(compute, H2D bound)", F(OfBound, "F2"));
    }

    /// <summary>The JSON object of the result.</summary>
    public object Json() => new
    {
        overlapped = Fallback is null,
        fallback = Fallback,
        streamed = Streamed,
        depth = Depth,
        batches = Batches,
        input_bytes_per_batch = Stages.InputBytes,
        output_bytes_per_batch = Stages.OutputBytes,
        h2d_ms = Stages.HostToDeviceMs,
        h2d_gb_per_s = Stages.HostToDeviceGBps,
        h2d_bound_images_per_s = Finite(Stages.HostToDeviceBound),
        compute_ms = Stages.ComputeMs,
        compute_images_per_s = Finite(Stages.ComputeItemsPerSecond),
        d2h_ms = Stages.DeviceToHostMs,
        d2h_gb_per_s = Stages.DeviceToHostGBps,
        end_to_end_images_per_s = EndToEnd,
        e2e_of_compute = OfCompute,
        e2e_of_bound = OfBound,
    };

    private static double? Finite(double v) => double.IsFinite(v) ? v : null;

    private static string F(double v, string format) => double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "-";
}
