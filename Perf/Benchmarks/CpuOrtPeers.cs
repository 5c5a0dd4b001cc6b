using Google.Protobuf;
using ILGPUInt8.Calibration.IO;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Onnx;
using ILGPUInt8.Layers.Onnx.Proto;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ILGPUInt8.Perf.Benchmarks;

/// <summary>
/// ONNX Runtime as the CPU engine benchmark's peer: sessions on a batch-dynamic copy of a model, the QDQ INT8 model of
/// the same network written by <see cref="QdqExporter"/> with our engine's thresholds, and a runner that times one run of
/// the whole batch (input wrapping our float array, output copied into a new array, as our Execute does).
/// </summary>
internal static class CpuOrtPeers
{
    /// <summary>A session with <paramref name="threads"/> intra-op threads, one inter-op thread, all graph optimisations.</summary>
    public static InferenceSession Session(string path, int threads) =>
        new(path, new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL });

    /// <summary>
    /// The QDQ INT8 model of <paramref name="path"/> with our thresholds T (s = T/127, symmetric, per-channel weights):
    /// written atomically to a temporary file and made batch-dynamic; null (with the reason on stderr) when the export
    /// refuses the model (e.g. opset &lt; 13).
    /// </summary>
    public static string? QdqModel(string path, IReadOnlyDictionary<string, float> thresholds, string name)
    {
        try
        {
            var file = Path.Combine(Path.GetTempPath(), $"ilgpuint8-qdq-{Environment.ProcessId}-{name}.onnx");
            var summary = QdqExporter.Export(Opset13(path), thresholds, file);
            Console.WriteLine($"  {name}: QDQ export (ours): {summary.Activations.Count} activations, {summary.Weights.Count} weights quantized, {summary.Skipped.Count} thresholds not placed");
            return BatchDynamic(file);
        }
        catch (OnnxImportException e)
        {
            Console.Error.WriteLine($"  {name}: QDQ export failed, no ORT QDQ peer from our thresholds: {e.Message}");
            return null;
        }
    }

    /// <summary>
    /// The model itself when its default-domain opset is 13 or later, else a copy declaring opset 13 (the QDQ export's
    /// need: per-channel DequantizeLinear) with the attributes those versions dropped removed (BatchNormalization's
    /// spatial and the old consumed_inputs): enough for the convolutional networks here (Conv, BatchNormalization,
    /// Relu, MaxPool, Add/Sum, GlobalAveragePool, Gemm), whose semantics did not change from opset 8 to 13.
    /// </summary>
    private static string Opset13(string path)
    {
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        var opset = model.OpsetImport.FirstOrDefault(o => string.IsNullOrEmpty(o.Domain) || o.Domain == "ai.onnx");
        if (opset is null || opset.Version >= 13)
        {
            return path;
        }

        string[] changed = ["Softmax", "LogSoftmax", "Hardmax", "Dropout", "Upsample", "Resize", "Split", "Squeeze", "Unsqueeze", "ReduceSum", "Pad", "Clip"];
        if (model.Graph.Node.FirstOrDefault(n => changed.Contains(n.OpType)) is { } node)
        {
            throw new OnnxImportException($"opset {opset.Version} model with {node.OpType}, whose form changed by opset 13: not upgraded for the QDQ peer.");
        }

        Console.WriteLine($"  {Path.GetFileName(path)}: opset {opset.Version} declared as 13 for the QDQ export (no operator of the graph changed meaning)");
        opset.Version = 13;
        foreach (var n in model.Graph.Node)
        {
            foreach (var a in n.Attribute.Where(a => a.Name is "spatial" or "consumed_inputs" or "is_test").ToList())
            {
                n.Attribute.Remove(a);
            }
        }

        var copy = Path.Combine(Path.GetTempPath(), $"ilgpuint8-opset13-{Environment.ProcessId}-{Path.GetFileName(path)}");
        AtomicFile.WriteAllBytes(copy, model.ToByteArray());
        return copy;
    }

    // ORT on a batch: one run of the whole batch (the model is batch-dynamic, see BatchDynamic); the input tensor wraps
    // our float array (as our SetInputs reads it), the output is copied into a new array (as our ReadOutputs).
    public static Func<float[]> Runner(InferenceSession session, float[] data, int batch, TensorDims dims)
    {
        var name = session.InputMetadata.Keys.First();
        var declared = session.InputMetadata[name].Dimensions;
        if (declared[0] > 0 && declared[0] != batch)
        {
            throw new InvalidOperationException($"ORT's model has a fixed batch of {declared[0]}; the benchmark needs batch {batch} in one run.");
        }

        var tensor = new DenseTensor<float>(data.AsMemory(0, batch * (int)dims.Volume), [batch, .. declared.Skip(1).Select((d, i) => d > 0 ? d : new[] { dims.C, dims.H, dims.W }[i])]);
        return () =>
        {
            using var result = session.Run([NamedOnnxValue.CreateFromTensor(name, tensor)]);
            return result.First().AsTensor<float>().ToArray();
        };
    }

    /// <summary>
    /// A copy of the ONNX model whose inputs and outputs have a free first (batch) dimension "N" instead of a fixed one,
    /// its intermediate shape annotations dropped (ORT infers them again); the same file when already free. Valid for
    /// graphs without a batch baked into a Reshape, which ORT's run on the batch then checks (and the FP32 comparison).
    /// </summary>
    internal static string BatchDynamic(string path)
    {
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        var graph = model.Graph;
        var initializers = graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var values = graph.Input.Where(v => !initializers.Contains(v.Name)).Concat(graph.Output).ToList();
        if (values.All(v => v.Type?.TensorType?.Shape?.Dim is not { Count: > 0 } d || d[0].ValueCase != TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue))
        {
            return path;
        }

        foreach (var v in values)
        {
            if (v.Type?.TensorType?.Shape?.Dim is { Count: > 0 } d)
            {
                d[0] = new TensorShapeProto.Types.Dimension { DimParam = "N" };
            }
        }

        graph.ValueInfo.Clear();
        var copy = Path.Combine(Path.GetTempPath(), $"ilgpuint8-batchdyn-{Environment.ProcessId}-{Path.GetFileName(path)}");
        AtomicFile.WriteAllBytes(copy, model.ToByteArray());
        return copy;
    }
}
