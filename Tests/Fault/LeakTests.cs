using System.Diagnostics;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Fault;

/// <summary>
/// The leak test: 1 000 engine builds, contexts, runs and disposes of a tiny network on the CPU backend (its activations
/// live in ILGPU CPU-accelerator memory, the "device" memory of that backend) leave managed and process memory flat.
/// </summary>
public sealed class LeakTests
{
    [Fact]
    public void A_thousand_builds_and_disposes_leave_memory_flat()
    {
        var net = new NetworkDefinition("tiny");
        var x = net.AddInput("x", new TensorDims(4, 6, 6));
        net.Sequential(x)
            .Convolution(8, 3, TestData.Float(8 * 4 * 9, 1, 0.3f), TestData.Float(8, 2, 0.1f), padding: 1, name: "conv")
            .Relu("relu")
            .Flatten("flat")
            .FullyConnected(4, TestData.Float(4 * 8 * 36, 3, 0.05f), null, name: "fc")
            .MarkOutput();
        var input = TestData.Float(2 * 4 * 36, 4);
        var config = new BuilderConfig
        {
            MaxBatchSize = 2,
            Int8 = true,
            CalibrationTable = new Dictionary<string, float> { ["x"] = 1f, ["conv"] = 2f, ["relu"] = 2f, ["flat"] = 2f, ["fc"] = 4f },
        };

        void Cycle()
        {
            using var engine = EngineBuilder.BuildCpu(net, config);
            using var context = engine.CreateExecutionContext();
            context.Execute(input, 2);
        }

        for (var i = 0; i < 100; i++)
        {
            Cycle();
        }

        var (managed0, process0) = Measure();
        for (var i = 0; i < 1000; i++)
        {
            Cycle();
        }

        var (managed1, process1) = Measure();
        TestContext.Current.SendDiagnosticMessage($"managed {managed0 / 1024} → {managed1 / 1024} KiB, private {process0 / 1024} → {process1 / 1024} KiB");
        Assert.True(managed1 - managed0 < 2 << 20, $"managed memory grew {(managed1 - managed0) / 1024} KiB over 1000 builds");
        Assert.True(process1 - process0 < 48 << 20, $"process memory grew {(process1 - process0) / 1024} KiB over 1000 builds");
    }

    private static (long Managed, long Process) Measure()
    {
        for (var i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        using var process = Process.GetCurrentProcess();
        return (GC.GetTotalMemory(forceFullCollection: true), process.PrivateMemorySize64);
    }
}
