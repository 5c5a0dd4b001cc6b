using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Reference;

/// <summary>The plan reference of a slice (NCHW, float or int8): rows start + j·step, j in [0, length), of the [outer, length, inner] view.</summary>
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
            for (long j = 0; j < layer.Length; j++)
            {
                Array.Copy(x, ((o * length) + layer.Start + (j * layer.Step)) * inner, y, ((o * layer.Length) + j) * inner, inner);
            }
        }

        return y;
    }
}
