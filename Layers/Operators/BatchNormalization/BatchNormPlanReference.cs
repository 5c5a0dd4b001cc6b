using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Reference;

/// <summary>The plan reference of batch normalization (FP32, as written: before the builder lowers it to a scale).</summary>
internal sealed class BatchNormPlanReference : PlanEvaluator<BatchNormLayer>
{
    // y = gamma · (x − mean) / sqrt(variance + epsilon) + beta, in double.
    protected override Array Evaluate(BatchNormLayer bn, PlanEvaluation e)
    {
        var x = (float[])e.X;
        var dims = e.InDims;
        var y = new float[x.Length];
        for (var i = 0; i < x.Length; i++)
        {
            var c = (i / dims.Plane) % dims.C;
            y[i] = (float)((bn.GammaArray[c] * (x[i] - (double)bn.MeanArray[c]) / Math.Sqrt((double)bn.VarianceArray[c] + bn.Epsilon)) + bn.BetaArray[c]);
        }

        return y;
    }
}
