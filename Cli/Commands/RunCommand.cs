using System.CommandLine;
using System.Globalization;
using ILGPUInt8.Calibration.IO;
using ILGPUInt8.Cli.Common;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Runtime;
using Spectre.Console;

namespace ILGPUInt8.Cli.Commands;

/// <summary>
/// <c>ilgpu-int8 run --model M [--precision fp32|fp16|int8|best] [--layer-precision NAME=P] [--table T] --input x.npy|x.pb --output y.npy|y.pb [--output-dtype float16] [--tf32 off]</c>: one
/// batch through an engine. <c>--input</c> repeats in the graph's input order or names its input (<c>name=file</c>);
/// <c>--output</c> likewise. The batch is the first dimension of the inputs. Without --output the outputs are summarized.
/// As ONNX Runtime, it takes every graph input at run time: inputs the importer needs as constants (weights, bounds,
/// shapes) are bound from their files (<see cref="RunTimeConstants"/>), each said on stderr.
/// </summary>
public sealed class RunCommand : CliCommand
{
    private readonly Option<string?> _model = CliOptions.Text("--model", "the ONNX model, or synthetic:small-cnn | synthetic:resnet18 | synthetic:resnet50 (required unless --load-engine)", "M.onnx");
    private readonly Option<string?> _loadEngine = CliOptions.Text("--load-engine", "run an engine file saved by --save-engine (versioned and checksummed) instead of building one", "F");
    private readonly Option<string?> _saveEngine = CliOptions.Text("--save-engine", "write the built engine (max batch = the input's batch) to this file", "F");
    private readonly Option<string[]> _input = CliOptions.Repeated("--input", "an input tensor (.npy or ONNX .pb), repeated in graph order or as name=file; the batch is its first dimension", "[NAME=]X.npy");
    private readonly Option<string[]> _output = CliOptions.Repeated("--output", "where to write an output (.npy or .pb), repeated in graph order or as name=file; without it the first values are printed", "[NAME=]Y.npy");
    private readonly Option<string> _outputDtype = CliOptions.Choice("--output-dtype", "element type of the --output files: float32, or float16 ('<f2' .npy, FLOAT16 .pb; values rounded to the nearest half, ties to even)", "float32", "float32", "float16");
    private readonly Option<string> _precision = CliPrecision.Option("fp32");
    private readonly Option<string[]> _layerPrecision = CliPrecision.LayerOption();
    private readonly Option<string> _tf32 = CliPrecision.Tf32Option();
    private readonly Option<string?> _table = CliOptions.Table();
    private readonly Option<string[]> _allowMissing = CliOptions.AllowMissing();
    private readonly Option<bool> _json = CliOptions.Json();
    private readonly Option<string> _device = CliOptions.Device();
    private readonly Option<string?> _devices = CliOptions.Devices("the batch's items");

    /// <inheritdoc />
    public override string Name => "run";

    /// <inheritdoc />
    public override string Description => "one batch through an engine: NumPy or ONNX TensorProto inputs and outputs";

    /// <inheritdoc />
    public override int Run(CliInvocation run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var console = run.Console;
        var modelPath = run.Get(_model);
        var loadPath = run.Get(_loadEngine);
        var savePath = run.Get(_saveEngine);
        var inputArgs = run.Get(_input);
        var outputArgs = run.Get(_output);
        var halfOutputs = run.Get(_outputDtype) == "float16";
        var precision = run.Get(_precision);
        var layerPrecision = run.Get(_layerPrecision);
        var tf32 = run.Get(_tf32);
        var tablePath = run.Get(_table);
        var allowMissing = run.Get(_allowMissing);
        var json = run.Get(_json);
        var devicesText = run.Get(_devices);
        using var device = run.UseDevice(_device);
        using var devices = CliInvocation.OpenDevices(devicesText);
        var request = CliPrecision.Parse(precision, layerPrecision, tf32);
        if (modelPath is null && loadPath is null)
        {
            throw new CliUsageException("run needs --model (to build an engine) or --load-engine (a saved one).");
        }

        if (loadPath is not null && savePath is not null)
        {
            throw new CliUsageException("--save-engine saves a built engine; it cannot go with --load-engine.");
        }

        // Graph inputs the importer needs as constants (weights, bounds, shapes) are bound from their --input files.
        var constants = modelPath is not null && loadPath is null
            ? RunTimeConstants.Resolve(modelPath, inputArgs, names => Bind("--input", inputArgs, names, requireAll: true))
            : null;
        foreach (var note in constants?.Notes ?? [])
        {
            run.Error.WriteLine($"ilgpu-int8: {note}");
        }

        var model = modelPath is not null ? ModelFile.Load(modelPath, constants?.Options) : null;
        if (model is not null)
        {
            run.PrintNotes(model, json);
        }

        var thresholds = tablePath is not null && model is not null ? CalibrationFiles.ReadTable(tablePath, model) : null;
        using var loaded = loadPath is not null ? EngineFiles.Load(loadPath) : null;
        IReadOnlyList<EngineBinding> inputBindings = loaded?.Inputs ?? [.. model!.Network.Inputs.Select(i => new EngineBinding(i.Name, i.Dims))];
        var inputNames = inputBindings.Select(i => i.Name).ToList();
        var outputNames = (loaded?.Outputs.Select(o => o.Name) ?? model!.Network.Outputs.Select(o => o.Name)).ToList();
        var inputFiles = constants is null
            ? Bind("--input", inputArgs, inputNames, requireAll: true)
            : Bind("--input", inputArgs, constants.AllInputs, requireAll: true).Where(p => inputNames.Contains(p.Key)).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        var outputFiles = Bind("--output", outputArgs, outputNames, requireAll: false);
        foreach (var path in outputFiles.Values)
        {
            OutputPaths.CheckFile(path, "output file");
        }

        var inputs = new Dictionary<string, float[]>(StringComparer.Ordinal);
        int? batch = null;
        foreach (var tensor in inputBindings)
        {
            var file = inputFiles[tensor.Name];
            var data = TensorFiles.Read(file);
            var n = BatchOf(data, tensor.Dims, tensor.Name, file, model?.InputShapes.GetValueOrDefault(tensor.Name), model?.UnitBatch == true);
            if (batch is { } b && b != n)
            {
                throw new CliUsageException($"Input '{tensor.Name}' ({file}) has batch {n}, the other inputs {b}.");
            }

            batch = n;
            inputs[tensor.Name] = data.Data;
        }

        var batchSize = batch ?? 1;
        if (!json)
        {
            console.MarkupLineInterpolated($"device  {DeviceLine(devices)}");
        }

        if (loaded is not null && batchSize > loaded.MaxBatchSize)
        {
            throw new CliUsageException($"The inputs have batch {batchSize}; the engine '{loadPath}' takes at most {loaded.MaxBatchSize}.");
        }

        using var engine = loaded ?? (request.NeedsRanges ? Engines.Int8(model!, batchSize, thresholds, null, allowMissing, precision: request) : Engines.Float(model!.Network, batchSize, request));
        precision = EngineFiles.Precision(engine);
        if (savePath is not null)
        {
            var saved = EngineFiles.Save(engine, savePath);
            if (!json)
            {
                console.MarkupLineInterpolated($"engine  saved to {saved}");
            }
        }

        IReadOnlyDictionary<string, float[]> outputs;
        if (devices is not null)
        {
            // --devices: the batch's items split over the devices, outputs joined in item order.
            using var runner = DataParallel.Runner(engine, devices);
            outputs = DataParallel.RunSplit(runner, inputs, batchSize);
        }
        else
        {
            using var context = engine.CreateExecutionContext();
            outputs = context.Execute(inputs, batchSize);
        }

        var rows = new List<object>();
        var table = new Table().Title($"[bold]{precision.ToUpperInvariant()} outputs, batch {batchSize}[/]").AddColumn("output").AddColumn("shape").AddColumn("written to / first values");
        foreach (var binding in engine.Outputs)
        {
            var shape = OutputShape(model, binding, batchSize);
            var values = outputs[binding.Name];
            string where;
            if (outputFiles.TryGetValue(binding.Name, out var path))
            {
                TensorFiles.Write(path, binding.Name, new FileTensor(values, shape), halfOutputs);
                where = Path.GetFullPath(path);
            }
            else
            {
                where = string.Join(", ", values.Take(6).Select(v => v.ToString("G5", CultureInfo.InvariantCulture))) + (values.Length > 6 ? ", ..." : string.Empty);
            }

            table.AddRow(Markup.Escape(binding.Name), Markup.Escape("[" + string.Join(", ", shape) + "]"), Markup.Escape(where));
            rows.Add(new { name = binding.Name, shape, file = outputFiles.ContainsKey(binding.Name) ? where : null, first_values = values.Take(16) });
        }

        if (json)
        {
            run.WriteJson(new { model = modelPath ?? loadPath, precision, batch = batchSize, device = DeviceLine(devices), notes = model?.Notes ?? [], outputs = rows });
            return 0;
        }

        console.Write(table);
        return 0;
    }

    /// <summary>The device line: the one device, or the devices of --devices.</summary>
    internal static string DeviceLine(ILGPUInt8.Kernels.Runtime.DeviceSet? devices) =>
        devices is null ? Engines.DeviceLine() : Engines.DevicesLine(devices.Devices);

    /// <summary>Matches <c>name=file</c> and positional files to tensor names (positional ones in graph order).</summary>
    internal static Dictionary<string, string> Bind(string option, IReadOnlyList<string> values, IReadOnlyList<string> names, bool requireAll)
    {
        var bound = new Dictionary<string, string>(StringComparer.Ordinal);
        var positional = new List<string>();
        foreach (var v in values)
        {
            var eq = v.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && names.Contains(v[..eq]))
            {
                if (!bound.TryAdd(v[..eq], v[(eq + 1)..]))
                {
                    throw new CliUsageException($"{option} names '{v[..eq]}' twice.");
                }
            }
            else if (eq > 0 && !(option == "--input" && File.Exists(v)))
            {
                // An unknown name is a mistake, not a file called "unknown=y.npy" (name a file with '=' as NAME=FILE).
                throw new CliUsageException($"{option} {v}: the model has no tensor '{v[..eq]}' (it has {string.Join(", ", names)}).");
            }
            else
            {
                positional.Add(v);
            }
        }

        var free = names.Where(n => !bound.ContainsKey(n)).ToList();
        if (positional.Count > free.Count)
        {
            throw new CliUsageException($"{option} was given {values.Count} times; the model has {names.Count} ({string.Join(", ", names)}).");
        }

        for (var i = 0; i < positional.Count; i++)
        {
            bound[free[i]] = positional[i];
        }

        if (requireAll && bound.Count < names.Count)
        {
            throw new CliUsageException($"{option}: give a file for every input ({string.Join(", ", names.Where(n => !bound.ContainsKey(n)))} missing).");
        }

        return bound;
    }

    private static int BatchOf(FileTensor data, TensorDims dims, string name, string file, long[]? onnxShape, bool unitBatch)
    {
        // Taken whole (one item of batch 1), the file holds exactly the model's shape.
        if (unitBatch && onnxShape is not null && data.Shape.Select(d => (long)d).SequenceEqual(onnxShape) && dims.Volume == data.Data.Length)
        {
            return 1;
        }

        if (unitBatch)
        {
            throw new CliUsageException($"Input '{name}' ({file}) has shape [{string.Join(", ", data.Shape)}]; the model takes [{string.Join(", ", onnxShape ?? [])}].");
        }

        if (dims.BatchOf(data.Shape) is { } n && n * dims.Volume == data.Data.Length)
        {
            return n;
        }

        // The model's own ONNX shape (any rank): every dimension but the batch as declared.
        if (onnxShape is { Length: > 0 } && data.Shape.Length == onnxShape.Length && data.Shape[0] > 0
            && data.Shape.Skip(1).Select(d => (long)d).SequenceEqual(onnxShape.Skip(1)) && (long)data.Shape[0] * dims.Volume == data.Data.Length)
        {
            return data.Shape[0];
        }

        throw new CliUsageException($"Input '{name}' ({file}) has shape [{string.Join(", ", data.Shape)}]; the model takes [N, {dims.C}, {dims.H}, {dims.W}].");
    }

    private static int[] OutputShape(ModelFile? model, EngineBinding binding, int batch)
    {
        if (model is { UnitBatch: true } && model.OutputShapes.TryGetValue(binding.Name, out var whole))
        {
            return [.. whole.Select(d => (int)d)]; // the tensor taken whole: its ONNX shape, a scalar included
        }

        if (model is not null && model.OutputShapes.TryGetValue(binding.Name, out var onnx) && onnx.Length > 0)
        {
            var shape = onnx.Select((d, i) => i == 0 && d < 0 ? batch : (int)d).ToArray();
            if (shape.All(d => d > 0) && shape.Aggregate(1L, (p, d) => p * d) == batch * binding.Dims.Volume)
            {
                return shape;
            }
        }

        return [batch, binding.Dims.C, binding.Dims.H, binding.Dims.W];
    }
}
