namespace ILGPUInt8.Kernels.Convolution;

/// <summary>
/// A 2-D transposed convolution (deconvolution): x [N, H, W, C] NHWC, weights [K][R][S][C/groups] (KRSC: for each
/// output channel k and tap (r, s), the input-channel vector), y [N, OutH, OutW, K] with
/// OutH = (H − 1)·strideH − 2·padH + dilationH·(R − 1) + 1 + outputPaddingH (OutW likewise); a negative output
/// padding crops that many more rows at the bottom (ONNX's end pad larger than its begin pad).
/// y[n, oh, ow, k] = Σ over taps with oh = ih·sh − ph + r·dh (and the same for w) of Σ_c x[n, ih, iw, g·Cg + c]·w[k][r][s][c].
/// </summary>
public sealed record DeconvProblem(
    int N, int C, int H, int W, int K, int R, int S,
    int StrideH = 1, int StrideW = 1, int PadH = 0, int PadW = 0, int DilationH = 1, int DilationW = 1,
    int Groups = 1, int OutputPaddingH = 0, int OutputPaddingW = 0)
{
    /// <summary>Output height.</summary>
    public int OutH => ((H - 1) * StrideH) - (2 * PadH) + (DilationH * (R - 1)) + 1 + OutputPaddingH;

    /// <summary>Output width.</summary>
    public int OutW => ((W - 1) * StrideW) - (2 * PadW) + (DilationW * (S - 1)) + 1 + OutputPaddingW;

    /// <summary>Input channels per group.</summary>
    public int CPerGroup => C / Groups;

    /// <summary>Output channels per group.</summary>
    public int KPerGroup => K / Groups;

    /// <summary>Throws an ArgumentException naming the bad parameter.</summary>
    public void Validate()
    {
        if (N <= 0 || C <= 0 || H <= 0 || W <= 0 || K <= 0 || R <= 0 || S <= 0 || StrideH <= 0 || StrideW <= 0
            || DilationH <= 0 || DilationW <= 0 || PadH < 0 || PadW < 0 || Groups <= 0)
        {
            throw new ArgumentException($"Invalid deconvolution {this}: sizes, strides, dilations and groups must be positive, padding ≥ 0.");
        }

        if (C % Groups != 0 || K % Groups != 0)
        {
            throw new ArgumentException($"Invalid deconvolution {this}: groups ({Groups}) must divide C ({C}) and K ({K}).");
        }

        if (OutputPaddingH >= Math.Max(StrideH, DilationH) || OutputPaddingW >= Math.Max(StrideW, DilationW))
        {
            throw new ArgumentException($"Invalid deconvolution {this}: output padding must be below max(stride, dilation).");
        }

        if (OutH <= 0 || OutW <= 0)
        {
            throw new ArgumentException($"Invalid deconvolution {this}: the output would be {OutH}×{OutW}.");
        }

        if ((long)N * OutH * OutW * K >= int.MaxValue || (long)N * H * W * C >= int.MaxValue)
        {
            throw new ArgumentException($"Invalid deconvolution {this}: tensors over 2^31 elements are not supported.");
        }
    }

    /// <summary>Multiply-adds N·H·W·K·R·S·C/groups.</summary>
    public long Macs => (long)N * H * W * K * R * S * CPerGroup;
}
