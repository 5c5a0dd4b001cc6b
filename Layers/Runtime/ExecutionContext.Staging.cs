using ILGPU;
using ILGPU.Runtime;

namespace ILGPUInt8.Layers.Runtime;

/// <summary>
/// The staging buffers as raw device memory, for <see cref="PipelinedRunner{TInput}"/>'s asynchronous copies: their
/// addresses (device memory on CUDA, host memory on the CPU accelerator and the CPU backend) and element types.
/// </summary>
public sealed partial class ExecutionContext
{
    /// <summary>Address of input <paramref name="i"/>'s staging buffer (batch·C·H·W values at most the maximum batch).</summary>
    internal IntPtr InputAddress(int i) => _inputs[i].NativePtr;

    /// <summary>Address of output <paramref name="i"/>'s staging buffer (NCHW float).</summary>
    internal IntPtr OutputAddress(int i) => _outputs[i].NativePtr;

    /// <summary>The element type input <paramref name="i"/>'s staging buffer holds (what the caller copies in).</summary>
    internal Type InputElementType(int i) => ElementOf(_inputs[i]);

    /// <summary>Queues a run of the inputs already in the staging buffers (a graph replay where one applies).</summary>
    internal void RunStaged(int batchSize) => RunAll(batchSize);

    private static Type ElementOf<T>(MemoryBuffer1D<T, Stride1D.Dense> buffer)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(buffer);
        return typeof(T);
    }
}
