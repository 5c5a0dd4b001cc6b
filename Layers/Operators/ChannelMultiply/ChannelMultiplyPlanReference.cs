using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Reference;

/// <summary>The plan reference of a channel multiply (NCHW): y[n][c][h][w] = x[n][c][h][w]·s[n][c], in float (FP32 only).</summary>
internal sealed class ChannelMultiplyPlanReference : PlanEvaluator<ChannelMultiplyLayer>
{
    /// <inheritdoc />
    protected override Array Evaluate(ChannelMultiplyLayer layer, PlanEvaluation e)
    {
        var x = (float[])e.X;
        var s = (float[])e.Input(1);
        int plane = e.InDims.H * e.InDims.W;
        var y = new float[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            y[i] = x[i] * s[i / plane];
        }

        return y;
    }
}
