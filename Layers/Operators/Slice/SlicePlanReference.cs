using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Reference;

/// <summary>The plan reference of a slice (NCHW, float or int8): the [outer, length, inner] view's rows [start, start + length).</summary>
internal sealed class SlicePlanReference : PlanEvaluator<SliceLayer>
{
    /// <inheritdoc />
    protected override Array Evaluate(SliceLayer layer, PlanEvaluation e)
    {
        var (outer, length, inner) = e.InDims.Nchw(layer.Axis, e.N);
        var x = e.X;
        var y = Array.CreateInstance(x.GetType().GetElementType()!, (long)outer * layer.Length * inner);
        for (long o = 0; o < outer; o++)
        {
            Array.Copy(x, ((o * length) + layer.Start) * inner, y, o * layer.Length * inner, (long)layer.Length * inner);
        }

        return y;
    }
}
