using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Reference;

/// <summary>The plan reference of a resize (NCHW): nearest copies (float or int8), linear interpolates in float, item by item.</summary>
internal sealed class ResizePlanReference : PlanEvaluator<ResizeLayer>
{
    /// <inheritdoc />
    protected override Array Evaluate(ResizeLayer l, PlanEvaluation e)
    {
        var d = e.InDims;
        var x = e.X;
        int inItem = d.C * d.H * d.W, outItem = d.C * l.OutH * l.OutW;
        var y = Array.CreateInstance(x.GetType().GetElementType()!, (long)e.N * outItem);
        for (int n = 0; n < e.N; n++)
        {
            for (int c = 0; c < d.C; c++)
            {
                for (int h = 0; h < l.OutH; h++)
                {
                    for (int w = 0; w < l.OutW; w++)
                    {
                        int target = (n * outItem) + (((c * l.OutH) + h) * l.OutW) + w;
                        if (l.Mode == ResizeMode.Nearest)
                        {
                            int sh = ResizeLayer.NearestIndex(h, d.H, l.OutH, l.ScaleH, l.Coordinates, l.Rounding);
                            int sw = ResizeLayer.NearestIndex(w, d.W, l.OutW, l.ScaleW, l.Coordinates, l.Rounding);
                            Array.Copy(x, (n * inItem) + (((c * d.H) + sh) * d.W) + sw, y, target, 1);
                            continue;
                        }

                        var xf = (float[])x;
                        var (h0, h1, lh) = ResizeLayer.LinearTaps(h, d.H, l.OutH, l.ScaleH, l.Coordinates);
                        var (w0, w1, lw) = ResizeLayer.LinearTaps(w, d.W, l.OutW, l.ScaleW, l.Coordinates);
                        float At(int r, int s) => xf[(n * inItem) + (((c * d.H) + r) * d.W) + s];
                        ((float[])y)[target] = ResizeLayer.Lerp(ResizeLayer.Lerp(At(h0, w0), At(h0, w1), lw), ResizeLayer.Lerp(At(h1, w0), At(h1, w1), lw), lh);
                    }
                }
            }
        }

        return y;
    }
}
