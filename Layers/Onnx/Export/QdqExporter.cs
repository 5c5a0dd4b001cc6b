using Google.Protobuf;
using ILGPUInt8.Calibration.IO;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Layers.Onnx.Proto;

namespace ILGPUInt8.Layers.Onnx;

/// <summary>What <see cref="QdqExporter"/> wrote: activations and weights given Q/DQ pairs, and table entries it could not place.</summary>
/// <param name="Activations">Activation tensors given a QuantizeLinear → DequantizeLinear pair.</param>
/// <param name="Weights">Convolution / Gemm / MatMul weights stored as int8 with a per-channel DequantizeLinear.</param>
/// <param name="Skipped">Table names that are not a run-time value of the graph (e.g. tensors the engine made itself).</param>
public sealed record QdqExportSummary(IReadOnlyList<string> Activations, IReadOnlyList<string> Weights, IReadOnlyList<string> Skipped);

/// <summary>
/// Writes an FP32 ONNX model as ONNX Runtime's and TensorRT's QDQ format with our INT8 numbers, so a calibration leaves
/// this library as a model: every activation with a threshold T gets x → QuantizeLinear(x, s, 0) → DequantizeLinear
/// with s = T/127 (int8, zero point 0: symmetric, as our engine); the weights of Conv, Gemm and MatMul become int8
/// initializers q = clamp(round_half_even(W / s_k), −127, 127) with a per-output-channel DequantizeLinear,
/// s_k = max|W_k| / 127 (1/127 for a zero row), the engine's per-channel rule. Biases stay float. Needs opset ≥ 13
/// (per-channel DequantizeLinear). Our importer reads the result back to the same engine; ONNX Runtime runs it as is.
/// </summary>
public static class QdqExporter
{
    /// <summary>Reads <paramref name="modelPath"/>, writes the QDQ model to <paramref name="outputPath"/> atomically (temp file + rename).</summary>
    public static QdqExportSummary Export(string modelPath, IReadOnlyDictionary<string, float> thresholds, string outputPath)
    {
        ArgumentNullException.ThrowIfNull(outputPath);
        var bytes = Export(File.ReadAllBytes(modelPath), thresholds, out var summary);
        AtomicFile.WriteAllBytes(outputPath, bytes);
        return summary;
    }

    /// <summary>The QDQ model's bytes for the model <paramref name="model"/> (a serialized ModelProto) and thresholds T by tensor name.</summary>
    public static byte[] Export(byte[] model, IReadOnlyDictionary<string, float> thresholds, out QdqExportSummary summary)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(thresholds);
        ModelProto proto;
        try
        {
            proto = ModelProto.Parser.ParseFrom(model);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OnnxImportException($"Not an ONNX model: {e.Message}", inner: e);
        }

        var opset = proto.OpsetImport.Where(o => string.IsNullOrEmpty(o.Domain) || o.Domain == "ai.onnx").Select(o => o.Version).DefaultIfEmpty(0).Max();
        if (opset < 13)
        {
            throw new OnnxImportException($"QDQ export needs opset 13 or later (per-channel DequantizeLinear); the model has opset {opset}.");
        }

        var graph = proto.Graph;
        var weights = QuantizeWeights(graph);
        var activations = QuantizeActivations(graph, thresholds, out var skipped);
        proto.MetadataProps.Add(new StringStringEntryProto { Key = "ilgpu-int8.qdq", Value = "symmetric int8: activations s = T/127, weights per output channel max|W|/127" });
        summary = new QdqExportSummary(activations, weights, skipped);
        return proto.ToByteArray();
    }

    private static List<string> QuantizeActivations(GraphProto graph, IReadOnlyDictionary<string, float> thresholds, out List<string> skipped)
    {
        var initializers = graph.Initializer.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var outputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var runtime = graph.Input.Select(i => i.Name).Where(n => !initializers.Contains(n))
            .Concat(graph.Node.SelectMany(n => n.Output)).ToHashSet(StringComparer.Ordinal);
        var done = new List<string>();
        skipped = [];
        foreach (var (name, threshold) in thresholds.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            // A graph output is what the user reads: it stays float (our engine dequantizes there too).
            if (!runtime.Contains(name) || outputs.Contains(name) || !(threshold > 0f) || !float.IsFinite(threshold))
            {
                skipped.Add(name);
                continue;
            }

            var scale = AddScalar(graph, $"{name}_qdq_scale", threshold / 127f);
            var zero = AddInt8(graph, $"{name}_qdq_zero_point", [0], []);
            var quantized = $"{name}_quantized";
            var dequantized = $"{name}_dequantized";
            foreach (var node in graph.Node)
            {
                for (var i = 0; i < node.Input.Count; i++)
                {
                    if (node.Input[i] == name)
                    {
                        node.Input[i] = dequantized;
                    }
                }
            }

            var q = new NodeProto { Name = $"{name}_QuantizeLinear", OpType = "QuantizeLinear", Input = { name, scale, zero }, Output = { quantized } };
            var dq = new NodeProto { Name = $"{name}_DequantizeLinear", OpType = "DequantizeLinear", Input = { quantized, scale, zero }, Output = { dequantized } };
            // Right after the producer (or first, for a graph input): the node list stays topologically sorted.
            var at = graph.Node.ToList().FindIndex(n => n.Output.Contains(name)) + 1;
            graph.Node.Insert(at, dq);
            graph.Node.Insert(at, q);
            done.Add(name);
        }

        return done;
    }

    private static List<string> QuantizeWeights(GraphProto graph)
    {
        var done = new List<string>();
        var initializers = graph.Initializer.ToDictionary(i => i.Name, StringComparer.Ordinal);
        foreach (var node in graph.Node.ToList())
        {
            // The axis of the output channels: Conv W [K, C/g, R, S] → 0; Gemm B [N, K] with transB = 1 → 0, [K, N] → 1; MatMul B [K, N] → 1.
            int? axis = node.OpType switch
            {
                "Conv" => 0,
                "Gemm" => node.Attribute.FirstOrDefault(a => a.Name == "transB")?.I == 1 ? 0 : 1,
                "MatMul" => 1,
                _ => null,
            };
            if (axis is not { } k || node.Input.Count < 2 || !initializers.TryGetValue(node.Input[1], out var w)
                || w.DataType != (int)TensorProto.Types.DataType.Float || w.Dims.Count < 2 || (node.OpType == "MatMul" && w.Dims.Count != 2))
            {
                continue;
            }

            var values = OnnxTensor.Decode(w, $"graph.initializer '{w.Name}'", int.MaxValue).ToFloatArray();
            var dims = w.Dims.Select(d => (int)d).ToArray();
            var channels = dims[k];
            var inner = dims.Skip(k + 1).Aggregate(1, (a, b) => a * b);
            var scales = new float[channels];
            foreach (var (i, v) in values.Select((v, i) => (i, v)))
            {
                var c = (i / inner) % channels;
                scales[c] = Math.Max(scales[c], Math.Abs(v));
            }

            // s_k = max|W_k| / 127 (1/127 for an all-zero channel); q = clamp(round_half_even(W / s_k), −127, 127).
            for (var c = 0; c < channels; c++)
            {
                scales[c] = (scales[c] > 0f ? scales[c] : 1f) / 127f;
            }

            var q = new byte[values.Length];
            for (var i = 0; i < values.Length; i++)
            {
                q[i] = unchecked((byte)(sbyte)QuantMath.Quantize(values[i], scales[(i / inner) % channels]));
            }

            var name = w.Name;
            var quantized = AddInt8(graph, $"{name}_quantized", q, dims);
            var scale = AddFloats(graph, $"{name}_qdq_scale", scales, [channels]);
            var zero = AddInt8(graph, $"{name}_qdq_zero_point", new byte[channels], [channels]);
            var dequantized = $"{name}_dequantized";
            var dq = new NodeProto
            {
                Name = $"{name}_DequantizeLinear",
                OpType = "DequantizeLinear",
                Input = { quantized, scale, zero },
                Output = { dequantized },
                Attribute = { new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = k } },
            };
            graph.Node.Insert(graph.Node.IndexOf(node), dq);
            node.Input[1] = dequantized;
            if (!graph.Node.Any(n => n.Input.Contains(name)))
            {
                graph.Initializer.Remove(w);
                var input = graph.Input.FirstOrDefault(i => i.Name == name);
                if (input is not null)
                {
                    graph.Input.Remove(input);
                }
            }

            done.Add(name);
        }

        return done;
    }

    private static string AddScalar(GraphProto graph, string name, float value) => AddFloats(graph, name, [value], []);

    private static string AddFloats(GraphProto graph, string name, float[] values, int[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(dims.Select(d => (long)d));
        t.FloatData.AddRange(values);
        graph.Initializer.Add(t);
        return name;
    }

    private static string AddInt8(GraphProto graph, string name, byte[] values, int[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int8, RawData = ByteString.CopyFrom(values) };
        t.Dims.AddRange(dims.Select(d => (long)d));
        graph.Initializer.Add(t);
        return name;
    }
}
