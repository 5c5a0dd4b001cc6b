using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Layers.Runtime;

/// <summary>
/// One executable step of an engine: built once from a plan node (weights and tables uploaded then, owned by the step),
/// run many times by execution contexts on their own activation buffers. Runs launch asynchronously on the device's
/// default stream.
/// </summary>
internal abstract class Step : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    private protected Step(Engine engine, PlanNode node)
    {
        Engine = engine;
        Node = node;
    }

    public Engine Engine { get; }

    public PlanNode Node { get; }

    public Int8Device Device => Engine.Device;

    public Plan Plan => Engine.Plan;

    public PlanTensor Input(int i = 0) => Plan.Tensors[Node.Inputs[i]];

    public PlanTensor Output => Plan.Tensors[Node.Output];

    /// <summary>Kernel launches one run makes (for the launch-overhead report).</summary>
    public virtual int Launches => 1;

    /// <summary>
    /// Bytes of the private work buffer each execution context allocates for this step (on first use, sized for the
    /// maximum batch; <see cref="ExecutionContext.Scratch{T}(Step, long, bool)"/>), 0 when it needs none.
    /// </summary>
    public virtual long ScratchBytes => 0;

    /// <summary>
    /// The engine input (index into the plan's inputs) this step reads straight from the context's staging buffer (the
    /// input convert fused into the step: the context skips that input's convert), or −1.
    /// </summary>
    public virtual int FusedInput => -1;

    /// <summary>
    /// Whether the step that fuses its input's convert also takes uint8 images on the device (the INT8 stem, through its
    /// quantize table); otherwise images are normalized on the host into the float staging buffer the step reads.
    /// </summary>
    public virtual bool FusedInputTakesImages => FusedInput >= 0;

    /// <summary>
    /// The kernel (and variant or tile) a run at the maximum batch launches, for --layer-info: by default the operation
    /// and its precision (<c>pooling_s8</c>, <c>pooling_f16</c> on halves, <c>softmax_f32</c>); steps that choose among
    /// variants name the one chosen.
    /// </summary>
    public virtual string KernelName => $"{Node.Layer.Type.ToString().ToLowerInvariant()}_{(Node.Int8 ? "s8" : HandlesHalfStorage ? "f16" : "f32")}";

    /// <summary>An FP32 step that multiplies on the tensor cores in TF32 (shown as precision "TF32").</summary>
    public virtual bool RunsTf32 => false;

    /// <summary>
    /// The step of an FP16 node reads its 2-byte half inputs and stores its output as halves (or as rounded float words
    /// where the output tensor is float) itself: no <see cref="HalfIoStep"/> wraps it.
    /// </summary>
    public virtual bool HandlesHalfStorage => false;

    /// <summary>An FP16 step whose inputs and output are all 2-byte halves (what the steps with half kernels run natively).</summary>
    private protected bool AllHalves => Node.Half && Output.Type == Kernels.Tensors.DataType.Half
        && Node.Inputs.TrueForAll(id => Plan.Tensors[id].Type == Kernels.Tensors.DataType.Half);

    /// <summary>Runs the step for a batch of <paramref name="batch"/> items.</summary>
    public abstract void Run(ExecutionContext context, int batch);

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_owned)
        {
            foreach (var d in _owned)
            {
                d.Dispose();
            }

            _owned.Clear();
        }
    }

    /// <summary>Uploads host data into a buffer the step owns.</summary>
    private protected ArrayView<T> Upload<T>(T[] data)
        where T : unmanaged
    {
        var buffer = Own(Device.Accelerator.Allocate1D(data.Length == 0 ? new T[1] : data));
        return buffer.View;
    }

    /// <summary>Keeps a disposable alive as long as the step.</summary>
    private protected T Own<T>(T disposable)
        where T : IDisposable
    {
        lock (_owned)
        {
            _owned.Add(disposable);
        }

        return disposable;
    }
}
