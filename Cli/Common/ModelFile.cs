using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Layers.Models;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Onnx;

namespace ILGPUInt8.Cli.Common;

/// <summary>
/// A model given on the command line: an ONNX file (FP32, or QDQ-quantized: its ranges become the tensors' dynamic
/// ranges), or <c>synthetic:small-cnn</c> / <c>synthetic:resnet18</c> / <c>synthetic:resnet50</c> (deterministic random weights, for benchmarks).
/// </summary>
public sealed class ModelFile
{
    private ModelFile(string path, NetworkDefinition network, string sha256, IReadOnlyList<string> notes, int qdqRanges, IReadOnlyDictionary<string, long[]> outputShapes)
    {
        Path = path;
        Network = network;
        Sha256 = sha256;
        Notes = notes;
        QdqRanges = qdqRanges;
        OutputShapes = outputShapes;
    }

    /// <summary>What was given.</summary>
    public string Path { get; }

    /// <summary>The network (a fresh one per load: builds may read its dynamic ranges).</summary>
    public NetworkDefinition Network { get; }

    /// <summary>SHA-256 of the file (empty for a synthetic model).</summary>
    public string Sha256 { get; }

    /// <summary>What the importer changed or could not keep.</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>Tensors with ranges from QDQ pairs (0 for an FP32 model).</summary>
    public int QdqRanges { get; }

    /// <summary>ONNX output shapes by name, batch as -1 (to write outputs in the model's own rank).</summary>
    public IReadOnlyDictionary<string, long[]> OutputShapes { get; }

    /// <summary>ONNX input shapes by name, batch as -1 (an input file of the model's own rank is accepted).</summary>
    public IReadOnlyDictionary<string, long[]> InputShapes { get; private init; } = new Dictionary<string, long[]>();

    /// <summary>
    /// True when the ONNX tensors are taken whole as one item of batch 1 (<see cref="OnnxImportOptions.UnitBatch"/>): each
    /// input file holds exactly the model's shape (<see cref="InputShapes"/>), each output is written in its ONNX shape.
    /// </summary>
    public bool UnitBatch { get; private init; }

    /// <summary>How the model's inputs are prepared, from its ONNX metadata (null: the model does not say).</summary>
    public Preprocessing? Preprocessing { get; private init; }

    /// <summary>The name of the single input, or an error naming the inputs.</summary>
    public string SingleInput =>
        Network.Inputs.Count == 1 ? Network.Inputs[0].Name
        : throw new CliUsageException($"The model has {Network.Inputs.Count} inputs ({string.Join(", ", Network.Inputs.Select(i => i.Name))}); this command needs one.");

    /// <summary>Loads a model; a missing file, a file that is not ONNX or an operator we lack is a clear error.</summary>
    public static ModelFile Load(string path) => Load(path, null);

    /// <summary>
    /// Loads a model with import options (graph inputs bound as constants, a fixed batch: <see cref="RunTimeConstants"/>);
    /// the options apply to ONNX files only.
    /// </summary>
    public static ModelFile Load(string path, OnnxImportOptions? options)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.StartsWith("synthetic:", StringComparison.Ordinal))
        {
            var name = path["synthetic:".Length..];
            var net = SyntheticModels.ByName(name) ?? throw new CliUsageException($"Unknown synthetic model '{name}' (known: {SyntheticModels.Names}).");
            return new ModelFile(path, net, string.Empty, [], 0, new Dictionary<string, long[]>());
        }

        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Model file '{path}' not found.", path);
        }

        if (!path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
        {
            throw new CliUsageException($"'{path}': models are ONNX files (.onnx).");
        }

        OnnxLoadedModel loaded;
        try
        {
            loaded = OnnxNetworkLoader.Load(path, options);
        }
        catch (Exception ex) when (ex is OnnxImportException or NetworkException)
        {
            // A graph that works across dimension 0 (concatenation, reshapes, softmax, slices along it) runs with its
            // tensors taken whole as one item of batch 1 (dimension 0 fixed or declared); else the first error stands.
            loaded = options?.UnitBatch != true && TryLoad(path, (options ?? OnnxImportOptions.Default) with { UnitBatch = true }) is { } whole
                ? whole
                : throw new InvalidDataException($"Cannot import '{path}': {ex.Message}", ex);
        }

        // Taken whole, the imported shapes are [1, d0, d1, …]: the model's own shapes are [d0, d1, …].
        bool unit = loaded.Imported.UnitBatch;
        var shapes = loaded.Imported.Outputs.ToDictionary(o => o.Name, o => unit ? o.Shape.Skip(1).ToArray() : o.Shape.ToArray(), StringComparer.Ordinal);
        var inputs = loaded.Imported.Inputs.ToDictionary(o => o.Name, o => unit ? o.Shape.Skip(1).ToArray() : o.Shape.ToArray(), StringComparer.Ordinal);
        var notes = unit ? [.. loaded.Notes, "the graph works across dimension 0: its tensors are taken whole as one item of an engine of batch 1."] : loaded.Notes;
        return new ModelFile(path, loaded.Network, loaded.ModelSha256, notes, loaded.QdqRanges.Count, shapes) { Preprocessing = loaded.Preprocessing, InputShapes = inputs, UnitBatch = unit };
    }

    private static OnnxLoadedModel? TryLoad(string path, OnnxImportOptions options)
    {
        try
        {
            return OnnxNetworkLoader.Load(path, options);
        }
        catch (Exception ex) when (ex is OnnxImportException or NetworkException)
        {
            return null;
        }
    }
}
