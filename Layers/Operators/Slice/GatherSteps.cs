using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Cpu;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Runtime;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Layers.Operators;

/// <summary>
/// A layer whose output item is a gather from its input item (slice, channel shuffle, nearest resize): for every NHWC
/// element k of one output item, the NHWC element of the input item it copies. Every value is copied unchanged, so INT8
/// keeps the input's scale.
/// </summary>
internal interface IItemGather
{
    /// <summary>map[k] = the input element (NHWC, one item) that output element k (NHWC, one item) copies.</summary>
    int[] ItemMap(TensorDims input, TensorDims output);
}

/// <summary>Gather on the device (NHWC: float, 2-byte halves or int8): thread i copies y[i] = x[(i / out)·in + map[i mod out]].</summary>
internal sealed class GatherStep : Step
{
    private readonly ArrayView<int> _map;

    public GatherStep(Engine engine, PlanNode node)
        : base(engine, node) => _map = Upload(((IItemGather)node.Layer).ItemMap(Input().Dims, Output.Dims));

    /// <inheritdoc />
    public override bool HandlesHalfStorage => AllHalves;

    public override void Run(ExecutionContext context, int batch)
    {
        int inItem = (int)Input().Dims.Volume, outItem = (int)Output.Dims.Volume;
        if (HandlesHalfStorage)
        {
            var y = context.View<ushort>(Output, batch);
            var kernel = Device.GetKernel("gather.f16", a =>
                a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<ushort>, ArrayView<ushort>, ArrayView<int>, int, int>(Kernel));
            kernel((int)y.Length, context.View<ushort>(Input(), batch), y, _map, inItem, outItem);
        }
        else if (Node.Int8)
        {
            var y = context.View<sbyte>(Output, batch);
            var kernel = Device.GetKernel("gather.s8", a =>
                a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<sbyte>, ArrayView<sbyte>, ArrayView<int>, int, int>(Kernel));
            kernel((int)y.Length, context.View<sbyte>(Input(), batch), y, _map, inItem, outItem);
        }
        else
        {
            var y = context.View<float>(Output, batch);
            var kernel = Device.GetKernel("gather.f32", a =>
                a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int>(Kernel));
            kernel((int)y.Length, context.View<float>(Input(), batch), y, _map, inItem, outItem);
        }
    }

    private static void Kernel<T>(Index1D i, ArrayView<T> x, ArrayView<T> y, ArrayView<int> map, int inItem, int outItem)
        where T : unmanaged =>
        y[i] = x[((i / outItem) * inItem) + map[i % outItem]];
}

/// <summary>Gather on the CPU backend (NHWC, float or int8), in ranges of output elements.</summary>
internal sealed unsafe class HostGatherStep : HostStep
{
    private readonly int[] _map;

    public HostGatherStep(Engine engine, PlanNode node)
        : base(engine, node) => _map = ((IItemGather)node.Layer).ItemMap(Input().Dims, Output.Dims);

    public override void Run(ExecutionContext context, int batch)
    {
        if (Node.Int8)
        {
            var body = new Ranges<sbyte> { X = context.Pointer<sbyte>(Input(), batch), Y = context.Pointer<sbyte>(Output, batch), Map = _map, InItem = (int)Input().Dims.Volume };
            ForRanges((long)batch * _map.Length, 16384, ref body);
        }
        else
        {
            var body = new Ranges<float> { X = context.Pointer<float>(Input(), batch), Y = context.Pointer<float>(Output, batch), Map = _map, InItem = (int)Input().Dims.Volume };
            ForRanges((long)batch * _map.Length, 16384, ref body);
        }
    }

    private struct Ranges<T> : ICpuRangeBody
        where T : unmanaged
    {
        public T* X, Y;
        public int[] Map;
        public int InItem;

        public readonly void Run(long i0, long i1)
        {
            int outItem = Map.Length;
            for (long i = i0; i < i1; i++)
            {
                Y[i] = X[((i / outItem) * InItem) + Map[i % outItem]];
            }
        }
    }
}
