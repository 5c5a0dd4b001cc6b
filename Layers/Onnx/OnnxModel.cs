using System.Globalization;
using Google.Protobuf;
using ILGPUInt8.Layers.Onnx.Proto;

namespace ILGPUInt8.Layers.Onnx;

/// <summary>
/// A parsed and checked ONNX model: the opset imports and the main graph. Reading never crashes or
/// hangs on a bad file: every failure is an <see cref="OnnxImportException"/> saying where it broke.
/// </summary>
public sealed class OnnxModel
{
    private OnnxModel(long irVersion, string producer, IReadOnlyDictionary<string, long> opsets, OnnxGraph graph, IReadOnlyDictionary<string, string> metadata)
    {
        Metadata = metadata;
        IrVersion = irVersion;
        Producer = producer;
        OpsetImports = opsets;
        Graph = graph;
    }

    /// <summary>The file's IR version.</summary>
    public long IrVersion { get; }

    /// <summary>Producer name and version as recorded ("pytorch 1.13.1").</summary>
    public string Producer { get; }

    /// <summary>Operator set versions by domain ("" is the default ONNX domain).</summary>
    public IReadOnlyDictionary<string, long> OpsetImports { get; }

    /// <summary>The default-domain operator set version.</summary>
    public long Opset => OpsetImports.GetValueOrDefault("", 0);

    /// <summary>The main graph.</summary>
    public OnnxGraph Graph { get; }

    /// <summary>The model's <c>metadata_props</c> (key → value; a repeated key keeps its last value).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Reads a model file.</summary>
    /// <param name="path">Path to a .onnx file.</param>
    /// <param name="options">Limits; <see cref="OnnxReadOptions.Default"/> when null.</param>
    public static OnnxModel Load(string path, OnnxReadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= OnnxReadOptions.Default;
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new FileNotFoundException($"ONNX model '{path}' does not exist.", path);
        }
        if (info.Length > options.MaxFileBytes)
        {
            throw OnnxImportException.Malformed(path, $"the file has {info.Length} bytes, more than the cap of {options.MaxFileBytes}.");
        }
        return Parse(File.ReadAllBytes(path), options);
    }

    /// <summary>Parses a model from its bytes.</summary>
    /// <param name="bytes">The serialized ModelProto.</param>
    /// <param name="options">Limits; <see cref="OnnxReadOptions.Default"/> when null.</param>
    public static OnnxModel Parse(byte[] bytes, OnnxReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        options ??= OnnxReadOptions.Default;
        if (bytes.LongLength > options.MaxFileBytes)
        {
            throw OnnxImportException.Malformed("file", $"the file has {bytes.LongLength} bytes, more than the cap of {options.MaxFileBytes}.");
        }
        var proto = ParseProto(bytes);
        if (proto.Graph is null)
        {
            throw OnnxImportException.Malformed("model", bytes.Length == 0 ? "the file is empty." : "the model has no graph (is this an ONNX model file?).");
        }
        var opsets = new Dictionary<string, long>(StringComparer.Ordinal);
        for (int i = 0; i < proto.OpsetImport.Count; i++)
        {
            var o = proto.OpsetImport[i];
            string domain = o.Domain == "ai.onnx" ? "" : o.Domain ?? "";
            if (!opsets.TryAdd(domain, o.Version))
            {
                throw OnnxImportException.Malformed($"model.opset_import[{i.ToString(CultureInfo.InvariantCulture)}]",
                    $"domain '{domain}' is imported twice.");
            }
        }
        if (!opsets.ContainsKey(""))
        {
            if (proto.IrVersion >= 3 || proto.OpsetImport.Count > 0)
            {
                throw OnnxImportException.Malformed("model.opset_import", "the model imports no version of the default ONNX operator set.");
            }
            opsets[""] = 1; // IR versions 1 and 2 predate opset_import: operator set 1.
        }
        var graph = OnnxGraph.Decode(proto.Graph, opsets, options);
        string producer = $"{proto.ProducerName} {proto.ProducerVersion}".Trim();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in proto.MetadataProps)
        {
            metadata[entry.Key ?? string.Empty] = entry.Value ?? string.Empty;
        }

        return new OnnxModel(proto.IrVersion, producer, opsets, graph, metadata);
    }

    /// <summary>Parses a TensorProto file (the ONNX test-data format input_0.pb / output_0.pb).</summary>
    /// <param name="bytes">The serialized TensorProto.</param>
    /// <param name="options">Limits; <see cref="OnnxReadOptions.Default"/> when null.</param>
    public static OnnxTensor ParseTensor(byte[] bytes, OnnxReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        options ??= OnnxReadOptions.Default;
        TensorProto proto;
        try
        {
            proto = TensorProto.Parser.WithDiscardUnknownFields(true).ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw OnnxImportException.Malformed(ProtoWireLocator.Locate(bytes, ProtoWireLocator.Root.Tensor), e.Message, e);
        }
        return OnnxTensor.Decode(proto, "tensor", options.MaxTensorElements);
    }

    private static ModelProto ParseProto(byte[] bytes)
    {
        try
        {
            return ModelProto.Parser.WithDiscardUnknownFields(true).ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw OnnxImportException.Malformed(ProtoWireLocator.Locate(bytes, ProtoWireLocator.Root.Model), e.Message, e);
        }
    }
}
