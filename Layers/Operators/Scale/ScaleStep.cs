using ILGPU;
using ILGPUInt8.Kernels.IntegerOnly;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Layers.Runtime;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Layers.Operators;

/// <summary>
/// FP32 scale, or INT8 with integers only (integer-only engines, <see cref="IntegerScale"/>); per-element parameters are
/// put in NHWC order so index i mod count finds them.
/// </summary>
internal sealed class ScaleStep : Step
{
    private readonly ArrayView<float> _scale;
    private readonly ArrayView<float> _shift;
    private readonly ArrayView<float> _power;
    private readonly int _count;
    private readonly bool _hasPower;
    private readonly ArrayView<int> _factor;
    private readonly ArrayView<FixedPointChannel> _channels;

    public ScaleStep(Engine engine, PlanNode node)
        : base(engine, node)
    {
        var layer = (ScaleLayer)node.Layer;
        var d = Input().Dims;
        if (node.Int8)
        {
            var (factor, channels) = layer.IntegerCoefficients(d, Input().Scale, Output.Scale, nhwc: true);
            _factor = Upload(factor);
            _channels = Upload(channels);
            return;
        }

        _count = (int)ScaleLayer.Count(layer.Mode, d);
        float[] Prepare(float[]? values, float fallback)
        {
            var v = values ?? Enumerable.Repeat(fallback, _count).ToArray();
            return layer.Mode == ScaleMode.Elementwise ? WeightLayout.ChwToHwc<float>(v, d.C, d.H, d.W) : v;
        }

        _scale = Upload(Prepare(layer.ScaleArray, 1f));
        _shift = Upload(Prepare(layer.ShiftArray, 0f));
        _hasPower = layer.HasPower;
        _power = Upload(Prepare(layer.PowerArray, 1f));
    }

    public override void Run(ExecutionContext context, int batch)
    {
        if (Node.Int8)
        {
            IntegerScale.Run(Device, context.View<sbyte>(Input(), batch), context.View<sbyte>(Output, batch), _factor, _channels);
            return;
        }

        Scale.Float(Device, context.View<float>(Input(), batch), context.View<float>(Output, batch), _scale, _shift, _power, _count, _hasPower);
    }
}
