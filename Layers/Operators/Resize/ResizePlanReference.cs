using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Reference;

/// <summary>
/// The plan reference of a resize (NCHW): a gathering nearest copies (float or int8), every other resize is
/// <see cref="ResizeTaps.Sample"/> in float, item by item and plane by plane.
/// </summary>
internal sealed class ResizePlanReference : PlanEvaluator<ResizeLayer>
{
    /// <inheritdoc />
    protected override Array Evaluate(ResizeLayer l, PlanEvaluation e)
    {
        var d = e.InDims;
        var x = e.X;
        int inItem = d.C * d.H * d.W, outItem = d.C * l.OutH * l.OutW;
        var y = Array.CreateInstance(x.GetType().GetElementType()!, (long)e.N * outItem);
        var taps = l.Gathers ? null : ResizeTaps.Of(l, d.H, d.W);
        for (int n = 0; n < e.N; n++)
        {
            for (int c = 0; c < d.C; c++)
            {
                int plane = (n * inItem) + (c * d.H * d.W);
                for (int h = 0; h < l.OutH; h++)
                {
                    for (int w = 0; w < l.OutW; w++)
                    {
                        int target = (n * outItem) + (((c * l.OutH) + h) * l.OutW) + w;
                        if (taps is null)
                        {
                            int sh = ResizeSampling.NearestIndex(h, l.AxisH(d.H), l.Coordinates, l.Rounding);
                            int sw = ResizeSampling.NearestIndex(w, l.AxisW(d.W), l.Coordinates, l.Rounding);
                            Array.Copy(x, plane + (sh * d.W) + sw, y, target, 1);
                            continue;
                        }

                        ((float[])y)[target] = taps.Sample(((float[])x).AsSpan(plane, d.H * d.W), d.W, 1, h, w);
                    }
                }
            }
        }

        return y;
    }
}
