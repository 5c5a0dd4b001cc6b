using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Runtime;
using ILGPUInt8.Tests.Infrastructure;

namespace ILGPUInt8.Tests.Operators;

/// <summary>
/// One network as an operator test runs it on every path: built for the ILGPU CPU accelerator, built for the CPU
/// backend, and the CPU engine read back from its engine file.
/// </summary>
internal sealed class OperatorEngines : IDisposable
{
    private OperatorEngines(Engine[] all) => All = all;

    /// <summary>The accelerator engine, the CPU-backend engine and the CPU engine after a round trip through its file.</summary>
    public Engine[] All { get; }

    public static OperatorEngines Build(NetworkDefinition network, BuilderConfig config)
    {
        var accelerator = EngineBuilder.Build(network, config, TestDevices.Cpu);
        var cpu = EngineBuilder.BuildCpu(network, config);
        using var file = new MemoryStream();
        cpu.Serialize(file);
        file.Position = 0;
        return new OperatorEngines([accelerator, cpu, Engine.DeserializeCpu(file)]);
    }

    public void Dispose()
    {
        foreach (var engine in All)
        {
            engine.Dispose();
        }
    }
}
