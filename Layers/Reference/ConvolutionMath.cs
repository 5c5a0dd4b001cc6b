using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Reference;
using ILGPUInt8.Kernels.Tensors;

namespace ILGPUInt8.Layers.Reference;

/// <summary>The reference convolution of a plan node shared by the convolution and fully connected evaluators.</summary>
internal static class ConvolutionMath
{
    /// <summary>FP32: the float reference; INT8: the int8 reference with the node's <see cref="Int8Parameters"/>.</summary>
    public static Array Conv(PlanEvaluation e, ConvProblem p, float[] w, float[]? bias)
    {
        var node = e.Node;
        if (!node.Int8)
        {
            return ConvolutionFloatReference.Forward((float[])e.X, w, bias ?? [], p, node.Fused);
        }

        var prm = Int8Parameters.ForNode(e.Plan, node, w, p.K, p.CPerGroup * p.R * p.S, bias);
        var krsc = WeightLayout.KcrsToKrsc<sbyte>(prm.Weights, p.K, p.CPerGroup, p.R, p.S);
        var acc = ConvolutionReference.Forward((sbyte[])e.X, TensorFormat.NCHW, krsc, p);
        var y = FinishNhwc(acc, prm, p.N, p.K, p.P * p.Q);
        return Int8Parameters.ResidualOf(e.Plan, node) is { } sum ? ResidualSum(y, (sbyte[])e.Input(1), sum) : y;
    }

    // A fused residual sum after the convolution: y[i] = Sum(t[i], r[i]) (Int8ElementWise.Sum), both NCHW.
    private static sbyte[] ResidualSum(sbyte[] t, sbyte[] r, ResidualSum sum)
    {
        var y = new sbyte[t.Length];
        for (var i = 0; i < t.Length; i++)
        {
            y[i] = (sbyte)Int8ElementWise.Sum(t[i], r[i], sum.MConv, sum.MSkip, sum.Shift, sum.Lo);
        }

        return y;
    }

    // acc[(n·plane + pixel)·K + k] → y[n][k][pixel] = Finish(acc, k).
    public static sbyte[] FinishNhwc(int[] acc, Int8Parameters prm, int n, int k, int plane)
    {
        var y = new sbyte[acc.Length];
        for (var b = 0; b < n; b++)
        {
            for (var p = 0; p < plane; p++)
            {
                for (var c = 0; c < k; c++)
                {
                    y[(((b * k) + c) * plane) + p] = prm.Finish(acc[(((b * plane) + p) * k) + c], c);
                }
            }
        }

        return y;
    }
}
