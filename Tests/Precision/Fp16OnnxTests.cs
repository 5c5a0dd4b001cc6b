using Google.Protobuf;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Layers.Onnx;
using ILGPUInt8.Layers.Onnx.Proto;
using ILGPUInt8.Tests.Networks;
using ILGPUInt8.Tests.Onnx;
using Xunit;
using static ILGPUInt8.Tests.Onnx.OnnxProtoBuilder;

namespace ILGPUInt8.Tests.Precision;

/// <summary>
/// A float16 ONNX model (float16 input, initializers, output, a run-time Cast to float16) imports: its FP16 weights become
/// the floats they are, so its FP32 engine gives the same bits as the float32 model with those values; it also builds
/// FP16.
/// </summary>
public sealed class Fp16OnnxTests
{
    [Fact]
    public void A_float16_model_imports_as_the_float32_model_of_its_half_values()
    {
        var weights = HalfConvert.Round(TestNetworks.Weights(4 * 3 * 9, 27, 5));
        var bias = HalfConvert.Round([0.25f, -0.5f, 0.125f, 1f]);
        var data = HalfConvert.Round(Infrastructure.TestData.Float(2 * 3 * 6 * 6, 9));
        var feed = new Dictionary<string, float[]>(StringComparer.Ordinal) { ["x"] = data };

        var half = OnnxNetworkLoader.Load(ConvModel(float16: true).Bytes()).Network;
        var single = OnnxNetworkLoader.Load(ConvModel(float16: false).Bytes()).Network;
        using var a = EngineBuilder.BuildCpu(half, new BuilderConfig { MaxBatchSize = 2 });
        using var b = EngineBuilder.BuildCpu(single, new BuilderConfig { MaxBatchSize = 2 });
        TestNetworks.SameBits(TestNetworks.Run(b, feed, 2), TestNetworks.Run(a, feed, 2), "float16 model vs float32 model");

        using var fp16 = EngineBuilder.BuildCpu(half, new BuilderConfig { MaxBatchSize = 2, Mode = BuilderPrecision.Fp16 });
        Assert.Contains(fp16.Layers, l => l.Precision == "FP16");
        TestNetworks.Near(TestNetworks.Run(b, feed, 2), TestNetworks.Run(fp16, feed, 2), "fp16 engine vs fp32", rtol: 2e-3f, atol: 2e-3f);

        ModelProto ConvModel(bool float16)
        {
            var type = float16 ? 10 : 1;
            var x = Value("x", -1, 3, 6, 6);
            var y = Value("y", -1, 4, 6, 6);
            x.Type.TensorType.ElemType = type;
            y.Type.TensorType.ElemType = type;
            var nodes = new List<NodeProto>
            {
                Node("Conv", ["x", "w", "b"], ["c"], Ints("pads", 1, 1, 1, 1), Ints("kernel_shape", 3, 3)),
                Node("Relu", ["c"], [float16 ? "r" : "y"]),
            };
            if (float16)
            {
                nodes.Add(Node("Cast", ["r"], ["y"], Int("to", 10)));
            }

            return Model(13, nodes, [x], [y], [Tensor("w", [4, 3, 3, 3], weights, float16), Tensor("b", [4], bias, float16)]);
        }
    }

    private static TensorProto Tensor(string name, long[] dims, float[] values, bool float16)
    {
        if (!float16)
        {
            return Floats(name, dims, values);
        }

        var t = new TensorProto { Name = name, DataType = 10 };
        t.Dims.AddRange(dims);
        t.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(HalfConvert.FromFloats(values).AsSpan()));
        return t;
    }
}
