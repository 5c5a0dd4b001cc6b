using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Runtime;
using Spectre.Console;

namespace ILGPUInt8.Cli.Common;

/// <summary>
/// Engine files for --save-engine / --load-engine (the format of <see cref="Engine.Serialize"/>: magic, version, SHA-256
/// of the payload, checked on load), and the --layer-info table.
/// </summary>
public static class EngineFiles
{
    /// <summary>Writes the engine (atomically: <see cref="Engine.Save"/>); returns the full path.</summary>
    public static string Save(Engine engine, string path)
    {
        ArgumentNullException.ThrowIfNull(engine);
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            throw new CliUsageException($"--save-engine {path}: that is a folder; give a file name such as model.plan.");
        }

        engine.Save(full);
        return full;
    }

    /// <summary>Reads an engine for the device in use; a missing, foreign, corrupt or other-version file is a clear error.</summary>
    public static Engine Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Engine file '{path}' not found (make one with --save-engine).", path);
        }

        try
        {
            return Engine.Load(path);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"'{path}': {ex.Message}", ex);
        }
    }

    /// <summary>The precision of an engine: int8 when any step runs in INT8 (int8+fp16 when FP16 ones too), fp16 when any runs FP16, else fp32.</summary>
    public static string Precision(Engine engine)
    {
        bool int8 = engine?.Layers.Any(l => l.Int8) == true, fp16 = engine?.Layers.Any(l => l.Half) == true;
        return int8 && fp16 ? "int8+fp16" : int8 ? "int8" : fp16 ? "fp16" : "fp32";
    }

    /// <summary>
    /// --layer-info: every step with its type and fused activation, precision, input and output shapes per item (C×H×W),
    /// the kernel it launches at the maximum batch, its scratch bytes and the network layers it computes.
    /// </summary>
    public static Table LayerTable(Engine engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        var m = engine.Memory;
        var table = new Table().Title($"[bold]{engine.Layers.Count} steps, backend {Markup.Escape(engine.BackendName)}[/]")
            .AddColumn("step").AddColumn("type (+fused)").AddColumn("prec").AddColumn("in -> out").AddColumn("kernel").AddColumn("scratch").AddColumn("layers")
            .Caption(Markup.Escape($"activation arena {Bytes(m.ArenaBytes)} (without reuse {Bytes(m.UnsharedBytes)}), step scratch {Bytes(m.ScratchBytes)}, max batch {engine.MaxBatchSize}"));
        foreach (var l in engine.Layers)
        {
            table.AddRow(Markup.Escape(l.Name), Markup.Escape(l.Type + (l.Fusions.Length == 0 ? string.Empty : " " + l.Fusions)), l.Precision,
                $"{string.Join(" ", l.InputDims.Select(Shape))} -> {Shape(l.OutputDims)}", Markup.Escape(l.KernelName), l.ScratchBytes > 0 ? Bytes(l.ScratchBytes) : "-",
                Markup.Escape(string.Join(", ", l.Layers)));
        }

        return table;
    }

    /// <summary>--layer-info under --json.</summary>
    public static object LayerJson(Engine engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        return new
        {
            backend = engine.BackendName,
            max_batch = engine.MaxBatchSize,
            arena_bytes = engine.Memory.ArenaBytes,
            unshared_bytes = engine.Memory.UnsharedBytes,
            scratch_bytes = engine.Memory.ScratchBytes,
            inputs = engine.Inputs.Select(i => new { name = i.Name, dims = new[] { i.Dims.C, i.Dims.H, i.Dims.W } }),
            outputs = engine.Outputs.Select(o => new { name = o.Name, dims = new[] { o.Dims.C, o.Dims.H, o.Dims.W } }),
            steps = engine.Layers.Select(l => new
            {
                name = l.Name,
                type = l.Type.ToString(),
                precision = l.Precision.ToLowerInvariant(),
                fused = l.FusedActivation.IsNone ? null : l.FusedActivation.ToString(),
                fused_residual_sum = l.FusedResidualSum,
                layers = l.Layers,
                inputs = l.InputDims.Select(d => new[] { d.C, d.H, d.W }),
                output = new[] { l.OutputDims.C, l.OutputDims.H, l.OutputDims.W },
                kernel = l.KernelName,
                scratch_bytes = l.ScratchBytes,
            }),
        };
    }

    /// <summary>Per-item dimensions as C×H×W.</summary>
    public static string Shape(TensorDims d) => $"{d.C}x{d.H}x{d.W}";

    private static string Bytes(long bytes) => Commands.InfoCommand.FormatBytes(bytes);
}
