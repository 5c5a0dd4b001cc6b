using ILGPUInt8.Kernels.Reference;
using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Reference;

/// <summary>
/// The plan reference of a scale layer, y = (x·scale + shift)^power with the coefficient index of its mode (FP32), or
/// the integer-only INT8 form.
/// </summary>
internal sealed class ScalePlanReference : PlanEvaluator<ScaleLayer>
{
    /// <inheritdoc />
    protected override Array Evaluate(ScaleLayer s, PlanEvaluation e)
    {
        var dims = e.InDims;
        var count = (int)ScaleLayer.Count(s.Mode, dims);
        var scale = s.ScaleArray ?? Enumerable.Repeat(1f, count).ToArray();
        var shift = s.ShiftArray ?? new float[count];
        Func<int, int> index = s.Mode switch
        {
            ScaleMode.Uniform => _ => 0,
            ScaleMode.Channel => i => (i / dims.Plane) % dims.C,
            _ => i => (int)(i % dims.Volume),
        };
        if (e.Node.Int8)
        {
            var (factor, channels) = s.IntegerCoefficients(dims, e.Sx, e.Output.Scale, nhwc: false);
            return IntegerOnlyReference.Scale((sbyte[])e.X, factor, channels, index);
        }

        return ElementWiseReference.Scale((float[])e.X, scale, shift, s.HasPower ? s.PowerArray : [], index);
    }
}
