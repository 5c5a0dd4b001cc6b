using System.CommandLine;
using ILGPUInt8.Layers.Builder;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Runtime;

namespace ILGPUInt8.Cli.Common;

/// <summary>
/// What <c>--precision</c> (TensorRT's modes: fp32, fp16, int8 = INT8 where possible else FP32, best = INT8 where
/// possible else FP16) and <c>--layer-precision NAME=fp32|fp16|int8</c> ask of an engine build.
/// </summary>
/// <param name="Mode">fp32, fp16, int8 or best.</param>
/// <param name="Layers">Per-layer requests by layer name.</param>
public sealed record CliPrecision(string Mode, IReadOnlyDictionary<string, LayerPrecision> Layers)
{
    /// <summary>
    /// The build's tactic timing cache (<c>--timing-cache F</c>: read before the build, written after it; null: the
    /// process's own), applied with the precision because every engine build of a command takes both.
    /// </summary>
    public TimingCache? TimingCache { get; init; }

    /// <summary>TF32 for FP32 layers (<c>--tf32 on|off</c>, <see cref="BuilderConfig.Tf32"/>): on unless <c>--tf32 off</c> asks for strict FP32.</summary>
    public bool Tf32 { get; init; } = true;

    /// <summary>--tf32 on|off.</summary>
    public static Option<string> Tf32Option() =>
        CliOptions.Choice("--tf32", "FP32 convolutions and fully connected layers on the CUDA tensor cores in TF32 (PyTorch's allow_tf32, TensorRT's default): on, or off for strict FP32 (the CPU computes FP32 either way)", "on", "on", "off");

    /// <summary>--timing-cache F.</summary>
    public static Option<string?> TimingCacheOption() =>
        CliOptions.Text("--timing-cache", "tactic timing cache: build-time kernel timings are read from it (a rebuild on the same device times nothing) and written back after the build", "F.json");

    /// <summary>Reads the timing cache at <paramref name="path"/> (missing: empty; not a cache: a usage error naming it); null path: null.</summary>
    public static TimingCache? LoadTimingCache(string? path)
    {
        if (path is null)
        {
            return null;
        }

        try
        {
            return TimingCache.Load(path);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw new CliUsageException($"--timing-cache: {ex.Message}");
        }
    }

    /// <summary>The modes, in the order tables show them.</summary>
    public static readonly string[] Modes = ["fp32", "fp16", "int8", "best"];

    /// <summary>INT8 only, no per-layer requests (what the INT8 commands built before FP16 existed).</summary>
    public static CliPrecision Int8 { get; } = new("int8", new Dictionary<string, LayerPrecision>());

    /// <summary>The mode runs INT8 layers, so it needs ranges (a table, QDQ ranges or a calibration).</summary>
    public bool NeedsRanges => Mode is "int8" or "best";

    /// <summary>--precision with the four modes (and <paramref name="extra"/> choices of a command).</summary>
    public static Option<string> Option(string fallback, params string[] extra) =>
        CliOptions.Choice("--precision", "engine precision: fp32, fp16 (half storage, FP32 arithmetic), int8 (INT8 where possible, else FP32), best (INT8 where possible, else FP16)", fallback, [.. Modes, .. extra]);

    /// <summary>--layer-precision NAME=fp32|fp16|int8, repeatable.</summary>
    public static Option<string[]> LayerOption() =>
        CliOptions.Repeated("--layer-precision", "run this layer in this precision whatever the mode (NAME=fp32|fp16|int8)", "NAME=P");

    /// <summary>
    /// Parses the mode, the per-layer requests and <c>--tf32</c> (<paramref name="tf32"/>: on or off); a malformed request is
    /// a usage error naming it.
    /// </summary>
    public static CliPrecision Parse(string mode, IEnumerable<string>? layers, string tf32 = "on")
    {
        if (tf32 is not ("on" or "off"))
        {
            throw new CliUsageException($"--tf32 '{tf32}' is not one of on, off.");
        }

        if (!Modes.Contains(mode))
        {
            throw new CliUsageException($"--precision '{mode}' is not one of {string.Join(", ", Modes)}.");
        }

        var map = new Dictionary<string, LayerPrecision>(StringComparer.Ordinal);
        foreach (var arg in layers ?? [])
        {
            var eq = arg.LastIndexOf('=');
            var value = eq > 0 ? arg[(eq + 1)..] : string.Empty;
            map[eq > 0 ? arg[..eq] : arg] = value switch
            {
                "fp32" => LayerPrecision.Float,
                "fp16" => LayerPrecision.Half,
                "int8" => LayerPrecision.Int8,
                _ => throw new CliUsageException($"--layer-precision '{arg}': give NAME=fp32, NAME=fp16 or NAME=int8."),
            };
        }

        return new CliPrecision(mode, map) { Tf32 = tf32 == "on" };
    }

    /// <summary>
    /// Sets <see cref="BuilderConfig.Fp16"/> for fp16 and best, <see cref="BuilderConfig.Tf32"/> and the per-layer requests
    /// (INT8 is the caller's, with its ranges).
    /// </summary>
    public void Apply(BuilderConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Fp16 = Mode is "fp16" or "best";
        config.Tf32 = Tf32;
        config.TimingCache = TimingCache ?? config.TimingCache;
        foreach (var (name, p) in Layers)
        {
            config.LayerPrecisions[name] = p;
        }
    }
}
