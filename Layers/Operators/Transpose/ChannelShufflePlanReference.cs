using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Reference;

/// <summary>The plan reference of a channel shuffle (NCHW, float or int8): output channel j·g + i is input channel i·(C/g) + j.</summary>
internal sealed class ChannelShufflePlanReference : PlanEvaluator<ChannelShuffleLayer>
{
    /// <inheritdoc />
    protected override Array Evaluate(ChannelShuffleLayer layer, PlanEvaluation e)
    {
        var d = e.InDims;
        int plane = d.H * d.W, g = layer.Groups, per = d.C / g;
        var x = e.X;
        var y = Array.CreateInstance(x.GetType().GetElementType()!, x.Length);
        for (int n = 0; n < e.N; n++)
        {
            for (int j = 0; j < per; j++)
            {
                for (int i = 0; i < g; i++)
                {
                    Array.Copy(x, ((n * d.C) + (i * per) + j) * plane, y, ((n * d.C) + (j * g) + i) * plane, plane);
                }
            }
        }

        return y;
    }
}
