using System.Security.Cryptography;
using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Onnx;

/// <summary>
/// Loads an ONNX file into a <see cref="NetworkDefinition"/>: <see cref="OnnxImporter"/> maps the graph onto layer
/// specs, then every spec becomes engine layers (<see cref="OnnxNetworkAdapter"/>). A malformed file or an operator the
/// importer does not map is an <see cref="OnnxImportException"/>; a spec the engine's layers cannot express is an
/// <see cref="OnnxImportException"/> naming the operator, the node and the opset.
/// </summary>
public static class OnnxNetworkLoader
{
    /// <summary>Reads, imports and adapts a model file.</summary>
    /// <param name="path">The .onnx file.</param>
    /// <param name="options">Import options (batch fixed or dynamic); defaults when null.</param>
    public static OnnxLoadedModel Load(string path, OnnxImportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"ONNX model '{path}' does not exist.", path);
        }

        var bytes = File.ReadAllBytes(path);
        return Load(bytes, Path.GetFileNameWithoutExtension(path), options);
    }

    /// <summary>Imports and adapts a model held in memory.</summary>
    /// <param name="bytes">The ONNX ModelProto bytes.</param>
    /// <param name="name">The network's name.</param>
    /// <param name="options">Import options; defaults when null.</param>
    public static OnnxLoadedModel Load(byte[] bytes, string name = "onnx", OnnxImportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var model = OnnxModel.Parse(bytes);
        var imported = OnnxImporter.Import(model, options);
        var loaded = FromImported(imported, name, Convert.ToHexStringLower(SHA256.HashData(bytes)));
        loaded.Metadata = model.Metadata;
        return loaded;
    }

    /// <summary>Adapts an already imported network (the ONNX node tests feed weights as constant inputs this way).</summary>
    /// <param name="imported">The imported network.</param>
    /// <param name="name">The network's name.</param>
    /// <param name="modelSha256">The model's hash when known.</param>
    public static OnnxLoadedModel FromImported(ImportedNetwork imported, string name = "onnx", string modelSha256 = "")
    {
        ArgumentNullException.ThrowIfNull(imported);
        var notes = new List<string>(imported.Notes);
        var network = OnnxNetworkAdapter.Build(imported, name, notes);
        return new OnnxLoadedModel(network, imported, notes, modelSha256);
    }
}
