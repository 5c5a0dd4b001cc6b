using ILGPU;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Layers.Runtime;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Layers.Operators;

/// <summary>
/// Pooling: FP32 max/average; FP16 on 2-byte halves (<see cref="Pooling.Half"/>: the FP32 pooling, one rounding) when
/// input and output are halves, else through <see cref="HalfIoStep"/>; INT8 max (same scale) or average (int32 sum
/// requantized by a divisor table: float multipliers, or Q31 multipliers in integer-only engines).
/// </summary>
internal sealed class PoolingStep : Step
{
    private readonly PoolingLayer _layer;
    private readonly ArrayView<float> _multipliers;
    private readonly ArrayView<FixedPointChannel> _table;

    public PoolingStep(Engine engine, PlanNode node)
        : base(engine, node)
    {
        _layer = (PoolingLayer)node.Layer;
        if (node.Int8 && _layer.Mode != PoolingMode.Max)
        {
            var p = _layer.Problem(1, Input().Dims);
            if (Plan.IntegerOnly)
            {
                _table = Upload(Pooling.AverageFixedPoint(Input().Scale, Output.Scale, p.R * p.S));
            }
            else
            {
                _multipliers = Upload(Pooling.AverageMultipliers(Input().Scale, Output.Scale, p.R * p.S));
            }
        }
    }

    /// <inheritdoc />
    public override bool HandlesHalfStorage => AllHalves;

    public override void Run(ExecutionContext context, int batch)
    {
        var p = _layer.Problem(batch, Input().Dims);
        if (HandlesHalfStorage)
        {
            Pooling.Half(Device, context.View<ushort>(Input(), batch), context.View<ushort>(Output, batch), p, _layer.Mode);
        }
        else if (!Node.Int8)
        {
            Pooling.Float(Device, context.View<float>(Input(), batch), context.View<float>(Output, batch), p, _layer.Mode);
        }
        else if (_layer.Mode == PoolingMode.Max)
        {
            Pooling.Int8Max(Device, context.View<sbyte>(Input(), batch), context.View<sbyte>(Output, batch), p);
        }
        else if (Plan.IntegerOnly)
        {
            Pooling.Int8AverageFixedPoint(Device, context.View<sbyte>(Input(), batch), context.View<sbyte>(Output, batch), _table, p, _layer.Mode == PoolingMode.AverageCountPadding);
        }
        else
        {
            Pooling.Int8Average(Device, context.View<sbyte>(Input(), batch), context.View<sbyte>(Output, batch), _multipliers, p, _layer.Mode == PoolingMode.AverageCountPadding);
        }
    }
}
