using System.Buffers.Binary;
using Google.Protobuf;
using ILGPUInt8.Calibration.IO;
using ILGPUInt8.Layers.Onnx;
using ILGPUInt8.Layers.Onnx.Proto;
using ILGPUInt8.Training.Layers;

namespace ILGPUInt8.Training.Onnx;

/// <summary>
/// ONNX ↔ <see cref="TrainableNetwork"/> for chains of Conv (stride 1, one group), BatchNormalization, Relu, MaxPool (no
/// pads), Flatten/Reshape (the exporter's Shape/Gather/Unsqueeze/Concat side chain is skipped), Gemm (transB = 1,
/// α = β = 1) and a final Softmax (the loss head): the networks this project ships. <see cref="Export"/> writes the source
/// model back with only the trained initializers replaced, so the graph is the original one (ONNX Runtime runs it as before).
/// </summary>
public static class OnnxTrainable
{
    /// <summary>Reads a model; throws <see cref="OnnxImportException"/> / <see cref="NotSupportedException"/> naming the node it cannot train.</summary>
    public static TrainableNetwork Load(string path)
    {
        var model = OnnxModel.Load(path);
        var graph = model.Graph;
        var input = graph.Inputs.FirstOrDefault(i => !graph.Initializers.ContainsKey(i.Name))
            ?? throw new NotSupportedException($"'{path}' has no graph input.");
        if (input.Shape is not { Count: 4 } dims || dims[1].Value is not { } c || dims[2].Value is not { } h || dims[3].Value is not { } w)
        {
            throw new NotSupportedException($"'{path}': input '{input.Name}' is not [N, C, H, W] with known C, H, W.");
        }

        var shape = new FeatureShape((int)h, (int)w, (int)c);
        var layers = new List<ITrainLayer>();
        string tensor = input.Name;
        while (true)
        {
            var consumers = graph.Consumers(tensor).Where(n => n.OpType != "Shape").ToList();
            if (consumers.Count == 0)
            {
                break;
            }

            if (consumers.Count > 1)
            {
                throw new NotSupportedException($"'{path}': tensor '{tensor}' feeds {consumers.Count} nodes; only chains train.");
            }

            var node = consumers[0];
            if (node.OpType == "Softmax")
            {
                if (!graph.IsGraphOutput(node.Outputs[0]))
                {
                    throw new NotSupportedException($"'{path}': Softmax {node.DisplayName} is not the last node.");
                }

                break;
            }

            var layer = Map(graph, node, shape);
            if (layer is not null)
            {
                layers.Add(layer);
                shape = layer.Output;
            }

            tensor = node.Outputs[0];
        }

        return new TrainableNetwork(layers);
    }

    /// <summary>
    /// Writes <paramref name="sourcePath"/> to <paramref name="outputPath"/> with every trained parameter's initializer
    /// replaced by its current values (raw little-endian floats), atomically (temporary file, then rename).
    /// </summary>
    public static void Export(string sourcePath, TrainableNetwork network, string outputPath)
    {
        var proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(sourcePath));
        var byName = proto.Graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (var p in network.Parameters)
        {
            if (!byName.TryGetValue(p.Name, out var init) || init.DataType != (int)TensorProto.Types.DataType.Float)
            {
                throw new InvalidOperationException($"'{sourcePath}' has no float initializer '{p.Name}' to write.");
            }

            var bytes = new byte[p.Value.Length * 4];
            for (var i = 0; i < p.Value.Length; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), p.Value[i]);
            }

            init.FloatData.Clear();
            init.RawData = ByteString.CopyFrom(bytes);
        }

        AtomicFile.WriteAllBytes(outputPath, proto.ToByteArray());
    }

    private static ITrainLayer? Map(OnnxGraph graph, OnnxNode node, FeatureShape shape)
    {
        string name = node.DisplayName;
        switch (node.OpType)
        {
            case "Conv":
                Require(node, (node.GetInts("strides") ?? [1, 1]).All(s => s == 1), "strides other than 1");
                Require(node, (node.GetInts("dilations") ?? [1, 1]).All(d => d == 1), "dilations other than 1");
                Require(node, node.GetInt("group", 1) == 1, "groups");
                var pads = node.GetInts("pads") ?? [0, 0, 0, 0];
                Require(node, pads.All(p => p == pads[0]), "asymmetric pads");
                var bias = node.InputOrNull(2) is { } b ? Param(graph, node, b, decay: false) : null;
                return new Conv2d(name, shape, Param(graph, node, node.Input(1), decay: true), bias, (int)pads[0]);
            case "BatchNormalization":
                return new BatchNormAffine(name, shape, Param(graph, node, node.Input(1), decay: false), Param(graph, node, node.Input(2), decay: false),
                    Constant(graph, node, node.Input(3)), Constant(graph, node, node.Input(4)), node.GetFloat("epsilon", 1e-5f));
            case "Relu":
                return new Relu(name, shape);
            case "MaxPool":
                var kernel = node.GetInts("kernel_shape") ?? throw node.Error("kernel_shape is missing.");
                var strides = node.GetInts("strides") ?? kernel;
                Require(node, kernel.Length == 2 && kernel[0] == kernel[1] && strides[0] == strides[1], "non-square windows");
                Require(node, (node.GetInts("pads") ?? [0, 0, 0, 0]).All(p => p == 0), "pads");
                return new MaxPool2d(name, shape, (int)kernel[0], (int)strides[0]);
            case "Flatten" or "Reshape":
                return shape.H == 1 && shape.W == 1 ? null : new Flatten(name, shape);
            case "Gemm":
                Require(node, node.GetInt("transB", 0) == 1 && node.GetInt("transA", 0) == 0, "transB ≠ 1 or transA ≠ 0");
                Require(node, node.GetFloat("alpha", 1) == 1 && node.GetFloat("beta", 1) == 1, "alpha or beta ≠ 1");
                return new Linear(name, shape, Param(graph, node, node.Input(1), decay: true), Param(graph, node, node.Input(2), decay: false));
            default:
                throw new NotSupportedException($"Node {name} ({node.OpType}) has no trainable form (Conv, BatchNormalization, Relu, MaxPool, Flatten/Reshape, Gemm, final Softmax).");
        }
    }

    private static void Require(OnnxNode node, bool ok, string what)
    {
        if (!ok)
        {
            throw new NotSupportedException($"Node {node.DisplayName} ({node.OpType}): training does not support {what}.");
        }
    }

    private static Parameter Param(OnnxGraph graph, OnnxNode node, string name, bool decay)
    {
        var t = graph.Initializers.GetValueOrDefault(name) ?? throw node.Error($"input '{name}' is not an initializer (only constant weights train).");
        return new Parameter(name, t.DimsAsInt32(), t.ToFloatArray(), decay);
    }

    private static float[] Constant(OnnxGraph graph, OnnxNode node, string name) =>
        (graph.Initializers.GetValueOrDefault(name) ?? throw node.Error($"input '{name}' is not an initializer.")).ToFloatArray();
}
