using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Reference;

/// <summary>The plan reference of a general transpose (NCHW, float or int8): y[n][f] = x[n][map[f]], element by element.</summary>
internal sealed class TransposePlanReference : PlanEvaluator<TransposeLayer>
{
    /// <inheritdoc />
    protected override Array Evaluate(TransposeLayer layer, PlanEvaluation e)
    {
        var map = layer.SourceIndices();
        var x = e.X;
        var y = Array.CreateInstance(x.GetType().GetElementType()!, (long)e.N * map.Length);
        for (long n = 0; n < e.N; n++)
        {
            for (int f = 0; f < map.Length; f++)
            {
                y.SetValue(x.GetValue((n * map.Length) + map[f]), (n * map.Length) + f);
            }
        }

        return y;
    }
}
