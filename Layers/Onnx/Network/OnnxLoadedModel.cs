using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Onnx;

/// <summary>
/// An ONNX model loaded for the engine: the <see cref="NetworkDefinition"/> (tensor names = ONNX tensor names, so
/// calibration tables key on them; QDQ ranges already set with <see cref="Tensor.SetDynamicRange"/>), the imported
/// form the reference interpreter runs, the QDQ ranges, the import notes and the file's SHA-256.
/// </summary>
public sealed class OnnxLoadedModel
{
    internal OnnxLoadedModel(NetworkDefinition network, ImportedNetwork imported, IReadOnlyList<string> notes, string modelSha256)
    {
        Network = network;
        Imported = imported;
        Notes = notes;
        ModelSha256 = modelSha256;
    }

    /// <summary>The network to build engines from (<c>EngineBuilder.Build</c>).</summary>
    public NetworkDefinition Network { get; }

    /// <summary>The imported layers (device-free; the reference interpreter <c>OnnxReference</c> runs them).</summary>
    public ImportedNetwork Imported { get; }

    /// <summary>Symmetric INT8 thresholds T by ONNX tensor name, taken from the model's QDQ pairs (empty for a float model).</summary>
    public IReadOnlyDictionary<string, float> QdqRanges => Imported.DynamicRanges;

    /// <summary>The importer's notes followed by the network adapter's (QDQ weights requantized, ranges not applied).</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>SHA-256 of the model bytes, lower-case hex (empty when loaded from a parsed model).</summary>
    public string ModelSha256 { get; }

    /// <summary>The model's <c>metadata_props</c> (empty when loaded from a parsed model).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; internal set; } = new Dictionary<string, string>();

    /// <summary>
    /// How the model's inputs are prepared, from its <c>metadata_props</c> entry <see cref="Preprocessing.MetadataKey"/>
    /// (our shipped models carry one), or null when the model does not say.
    /// </summary>
    /// <exception cref="InvalidDataException">The entry is malformed.</exception>
    public Preprocessing? Preprocessing
    {
        get
        {
            if (!Metadata.TryGetValue(Preprocessing.MetadataKey, out var text))
            {
                return null;
            }

            try
            {
                return Preprocessing.Parse(text);
            }
            catch (FormatException ex)
            {
                throw new InvalidDataException($"The model's metadata '{Preprocessing.MetadataKey}' is malformed: {ex.Message}", ex);
            }
        }
    }

    /// <summary>True when the model carries QDQ ranges (an INT8 engine needs no calibration for those tensors).</summary>
    public bool IsQuantized => Imported.DynamicRanges.Count > 0;
}
