using ILGPU;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Layers.Runtime;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Layers.Operators;

/// <summary>Pooling: FP32 max/average; INT8 max (same scale) or average (int32 sum requantized by a divisor table).</summary>
internal sealed class PoolingStep : Step
{
    private readonly PoolingLayer _layer;
    private readonly ArrayView<float> _multipliers;

    public PoolingStep(Engine engine, PlanNode node)
        : base(engine, node)
    {
        _layer = (PoolingLayer)node.Layer;
        if (node.Int8 && _layer.Mode != PoolingMode.Max)
        {
            var p = _layer.Problem(1, Input().Dims);
            _multipliers = Upload(Pooling.AverageMultipliers(Input().Scale, Output.Scale, p.R * p.S));
        }
    }

    public override void Run(ExecutionContext context, int batch)
    {
        var p = _layer.Problem(batch, Input().Dims);
        if (!Node.Int8)
        {
            Pooling.Float(Device, context.View<float>(Input(), batch), context.View<float>(Output, batch), p, _layer.Mode);
        }
        else if (_layer.Mode == PoolingMode.Max)
        {
            Pooling.Int8Max(Device, context.View<sbyte>(Input(), batch), context.View<sbyte>(Output, batch), p);
        }
        else
        {
            Pooling.Int8Average(Device, context.View<sbyte>(Input(), batch), context.View<sbyte>(Output, batch), _multipliers, p, _layer.Mode == PoolingMode.AverageCountPadding);
        }
    }
}
