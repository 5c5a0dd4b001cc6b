using ILGPUInt8.Calibration.IO;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Runtime;
using ILGPUInt8.Tests.Networks;
using Xunit;

namespace ILGPUInt8.Tests.IntegerOnly;

/// <summary>
/// Engine file versions 4 (the integer-only flag) and later: a version 3 file (Fixtures/float_requantize_v3.md) still loads as a
/// float-requantize engine with its bits; a file from a newer format says so.
/// </summary>
public sealed class EngineFileVersionTests
{
    private static string Fixture => Path.Combine(Onnx.OnnxFixtures.RepositoryRoot, "Tests", "Networks", "Fixtures", "float_requantize_v3.ilgpui8");

    [Fact]
    public void A_version_3_engine_file_loads_as_a_float_requantize_engine_with_its_bits()
    {
        var net = V3Network();
        using var old = Engine.LoadCpu(Fixture);
        Assert.False(old.IntegerOnly);
        using var now = EngineBuilder.BuildCpu(net, new BuilderConfig { MaxBatchSize = 2, Int8 = true });
        var inputs = TestNetworks.Inputs(net, 2);
        TestNetworks.SameBits(TestNetworks.Run(now, inputs, 2), TestNetworks.Run(old, inputs, 2), "version 3 file vs build of today");
    }

    [Fact]
    public void A_newer_engine_file_version_is_refused_with_the_versions_this_build_reads()
    {
        var bytes = File.ReadAllBytes(Fixture);
        var newer = EngineSerializer.Version + 1;
        BitConverter.GetBytes(newer).CopyTo(bytes, 8);
        var path = Path.Combine(Path.GetTempPath(), $"v{newer}-{Environment.ProcessId}-{Guid.NewGuid():N}.ilgpui8");
        try
        {
            AtomicFile.WriteAllBytes(path, bytes);
            var ex = Assert.Throws<InvalidDataException>(() => Engine.LoadCpu(path));
            Assert.Contains($"version {newer} cannot be read: this build reads versions 2 to {EngineSerializer.Version} (the file was written by a newer build)", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>The network of the fixture (weights w[i] = 0.3·sin(i + seed), every range ±2).</summary>
    internal static NetworkDefinition V3Network()
    {
        static float[] W(int n, int seed) => [.. Enumerable.Range(0, n).Select(i => 0.3f * MathF.Sin(i + seed))];
        var net = new NetworkDefinition("v3_float_requantize");
        var x = net.AddInput("data", new TensorDims(4, 6, 6));
        var a = net.AddConvolution(x, 4, new(3, 3), W(4 * 4 * 9, 1), W(4, 2), padding: new(1, 1), name: "conv_a").Output;
        a = net.AddActivation(a, ActivationKind.Sigmoid, name: "sig_a").Output;
        var b = net.AddFullyConnected(a, 5, W(5 * 4 * 36, 3), W(5, 4), "fc").Output;
        net.MarkOutput(net.AddSoftMax(b, "prob").Output);
        foreach (var t in new[] { "data", "conv_a", "sig_a", "fc" })
        {
            net.FindTensor(t)!.SetDynamicRange(-2f, 2f);
        }

        return net;
    }
}
