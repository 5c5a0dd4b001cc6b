using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Runtime;

namespace ILGPUInt8.Layers.Operators;

/// <summary>
/// One operator of the engine, defined in its own folder under <c>Layers/Operators/</c> beside its layer (parameters,
/// output shape, serialization, precision and fusion traits), its ONNX mapper and its executors: how its layer is read
/// back from an engine file and which step runs a plan node of it on each backend (CUDA, CPU).
/// <see cref="OperatorRegistry"/> finds every non-abstract subclass of this assembly; adding an operator is a new folder
/// (and its <see cref="LayerType"/>).
/// </summary>
internal abstract class Operator
{
    /// <summary>The layer types this operator reads and runs.</summary>
    public abstract IReadOnlyList<LayerType> Types { get; }

    /// <summary>Reads the layer's parameters written by <see cref="Layer.WriteParameters"/>.</summary>
    public abstract Layer Read(string name, BinaryReader reader);

    /// <summary>The CUDA backend's step for a plan node (its kernels on the device's default stream).</summary>
    public virtual Step CreateCudaStep(Engine engine, PlanNode node) => throw Lowered(node);

    /// <summary>The CPU backend's step for a plan node (managed SIMD code on the host).</summary>
    public virtual Step CreateCpuStep(Engine engine, PlanNode node) => throw Lowered(node);

    /// <summary>
    /// Bytes of the private work buffer each context allocates for a node's step (<see cref="Step.ScratchBytes"/>),
    /// known from the plan alone so that the memory check counts it before anything is built; <paramref name="host"/>
    /// for the CPU backend.
    /// </summary>
    public virtual long ScratchBytes(Plan plan, PlanNode node, bool host) => 0;

    private static NetworkException Lowered(PlanNode node) =>
        new(node.Name, $"layer type {node.Layer.Type} cannot be executed (it should have been lowered).");
}
