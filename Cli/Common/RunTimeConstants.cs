using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Layers.Onnx;

namespace ILGPUInt8.Cli.Common;

/// <summary>
/// Graph inputs of an ONNX model that <c>run</c> binds as constants from the files given on the command line, as ONNX
/// Runtime takes every graph input at run time: inputs the importer needs as constants (Conv/Gemm/MatMul weights, Clip
/// bounds, BatchNorm statistics, Reshape shapes, Pad amounts: <see cref="OnnxImporter.ConstantInputs"/>), inputs that
/// are not float, and inputs that do not share the first run-time input's rank and batch (a broadcast operand such as
/// test_add_bcast's [5]). The rest stay run-time inputs; the model is imported with the batch fixed to theirs.
/// </summary>
public sealed class RunTimeConstants
{
    private RunTimeConstants(OnnxImportOptions options, IReadOnlyList<string> all, IReadOnlyList<string> runtime, IReadOnlyList<string> notes)
    {
        AllInputs = all;
        Options = options;
        Runtime = runtime;
        Notes = notes;
    }

    /// <summary>Import options: the bound constants and the batch.</summary>
    public OnnxImportOptions Options { get; }

    /// <summary>Every graph input, in graph order (the names --input binds).</summary>
    public IReadOnlyList<string> AllInputs { get; }

    /// <summary>The graph inputs left as run-time inputs, in graph order.</summary>
    public IReadOnlyList<string> Runtime { get; }

    /// <summary>One line per input bound as a constant (what and why).</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>
    /// Reads the model's graph inputs and, when some must be constants, their files; null when every graph input can be
    /// a run-time input (the model is then imported as usual, with a dynamic batch).
    /// </summary>
    /// <param name="modelPath">The .onnx file.</param>
    /// <param name="inputArgs">The --input values (positional in graph order, or name=file).</param>
    /// <param name="bind">Matches the --input values to graph input names (<c>RunCommand.Bind</c>).</param>
    public static RunTimeConstants? Resolve(string modelPath, IReadOnlyList<string> inputArgs, Func<IReadOnlyList<string>, Dictionary<string, string>> bind)
    {
        ArgumentNullException.ThrowIfNull(bind);
        if (!modelPath.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) || !File.Exists(modelPath))
        {
            return null;
        }

        OnnxModel model;
        try
        {
            model = OnnxModel.Load(modelPath);
        }
        catch (OnnxImportException)
        {
            return null; // ModelFile.Load reports it.
        }

        var graphInputs = model.Graph.Inputs;
        if (graphInputs.Count == 0 || inputArgs.Count != graphInputs.Count)
        {
            return null; // Only when every graph input is given; otherwise the usual binding reports what is missing.
        }

        var needed = NeededAsConstants(model);
        var files = bind([.. graphInputs.Select(i => i.Name)]);
        var tensors = graphInputs.ToDictionary(i => i.Name, i => Read(files[i.Name], i.Name), StringComparer.Ordinal);
        var runtime = new List<string>();
        var reasons = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var input in graphInputs)
        {
            var t = tensors[input.Name];
            var first = runtime.Count > 0 ? tensors[runtime[0]] : null;
            if (needed.TryGetValue(input.Name, out var reader))
            {
                reasons[input.Name] = $"the importer needs it as a constant ({reader})";
            }
            else if (!t.IsFloat || t.DataType != OnnxDataType.Float)
            {
                reasons[input.Name] = $"a {t.DataType} tensor (only float tensors flow through layers)";
            }
            else if (t.Dims.Count == 0 || t.Dims[0] == 0)
            {
                reasons[input.Name] = t.Dims.Count == 0 ? "a scalar (no batch dimension)" : "an empty batch";
            }
            else if (first is not null && (t.Dims.Count != first.Dims.Count || t.Dims[0] != first.Dims[0]))
            {
                reasons[input.Name] = $"shape [{string.Join(", ", t.Dims)}] does not share the batch of '{runtime[0]}' [{string.Join(", ", first.Dims)}]";
            }
            else
            {
                runtime.Add(input.Name);
            }
        }

        if (reasons.Count == 0 || runtime.Count == 0)
        {
            return null;
        }

        var options = new OnnxImportOptions
        {
            BatchSize = (int)tensors[runtime[0]].Dims[0],
            ConstantInputs = reasons.Keys.ToDictionary(n => n, n => tensors[n], StringComparer.Ordinal),
        };
        var notes = graphInputs.Where(i => reasons.ContainsKey(i.Name))
            .Select(i => $"input '{i.Name}' ({files[i.Name]}) bound as a constant: {reasons[i.Name]}; the engine is built for these values and batch {options.BatchSize}.")
            .ToList();
        return new RunTimeConstants(options, [.. graphInputs.Select(i => i.Name)], runtime, notes);
    }

    /// <summary>Graph inputs that a mapped operator reads in a slot it needs as a constant, with the first such reader.</summary>
    private static Dictionary<string, string> NeededAsConstants(OnnxModel model)
    {
        var graphInputs = model.Graph.Inputs.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var needed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var node in model.Graph.Nodes)
        {
            foreach (int slot in OnnxImporter.ConstantInputs(node))
            {
                if (node.InputOrNull(slot) is { } name && graphInputs.Contains(name))
                {
                    needed.TryAdd(name, $"input {slot} of {node.OpType} '{node.DisplayName}'");
                }
            }
        }

        return needed;
    }

    /// <summary>A tensor file as an ONNX tensor: a .pb keeps its element type; a .npy of integers stays integer (shapes, axes).</summary>
    private static OnnxTensor Read(string path, string name)
    {
        if (Path.GetExtension(path).Equals(".pb", StringComparison.OrdinalIgnoreCase) && File.Exists(path))
        {
            try
            {
                return OnnxModel.ParseTensor(File.ReadAllBytes(path));
            }
            catch (OnnxImportException ex)
            {
                throw new InvalidDataException($"'{path}' is not an ONNX TensorProto: {ex.Message}", ex);
            }
        }

        if (Path.GetExtension(path).Equals(".npy", StringComparison.OrdinalIgnoreCase) && File.Exists(path))
        {
            var npy = NpyFile.Read(path);
            long[] dims = [.. npy.Shape.Select(d => (long)d)];
            return npy.Data switch
            {
                long[] l => OnnxTensor.FromIntegers(name, dims, l),
                int[] i => OnnxTensor.FromIntegers(name, dims, [.. i.Select(v => (long)v)], OnnxDataType.Int32),
                _ => OnnxTensor.FromFloats(name, dims, npy.ToFloat()),
            };
        }

        var t = TensorFiles.Read(path); // the usual errors: missing file, unknown extension
        return OnnxTensor.FromFloats(name, [.. t.Shape.Select(d => (long)d)], t.Data);
    }
}
