namespace ILGPUInt8.Kernels.Convolution;

/// <summary>
/// A 2-D convolution: x [N, H, W, C] (NHWC) ⊛ w [K, R, S, C/groups] (KRSC) → y [N, P, Q, K] with
/// P = ⌊(H + 2·padH − dilationH·(R − 1) − 1) / strideH⌋ + 1 (Q likewise). Channels are split into
/// <see cref="Groups"/> groups (depthwise: groups = C = K).
/// </summary>
public sealed record ConvProblem(
    int N, int C, int H, int W, int K, int R, int S,
    int StrideH = 1, int StrideW = 1, int PadH = 0, int PadW = 0, int DilationH = 1, int DilationW = 1, int Groups = 1)
{
    /// <summary>Output height.</summary>
    public int P => ((H + (2 * PadH) - (DilationH * (R - 1)) - 1) / StrideH) + 1;

    /// <summary>Output width.</summary>
    public int Q => ((W + (2 * PadW) - (DilationW * (S - 1)) - 1) / StrideW) + 1;

    /// <summary>Input channels per group.</summary>
    public int CPerGroup => C / Groups;

    /// <summary>Output channels per group.</summary>
    public int KPerGroup => K / Groups;

    /// <summary>Multiply-adds N·P·Q·K·R·S·C/groups.</summary>
    public long Macs => (long)N * P * Q * K * R * S * CPerGroup;

    /// <summary>Throws an ArgumentException naming the bad parameter.</summary>
    public void Validate()
    {
        Check(N > 0 && C > 0 && H > 0 && W > 0 && K > 0 && R > 0 && S > 0, "sizes must be positive");
        Check(StrideH > 0 && StrideW > 0, "strides must be positive");
        Check(DilationH > 0 && DilationW > 0, "dilations must be positive");
        Check(PadH >= 0 && PadW >= 0, "padding must be ≥ 0");
        Check(Groups > 0 && C % Groups == 0 && K % Groups == 0, $"groups ({Groups}) must divide C ({C}) and K ({K})");
        Check(P > 0 && Q > 0, $"the filter (dilated {(DilationH * (R - 1)) + 1}×{(DilationW * (S - 1)) + 1}) is larger than the padded input {H + (2 * PadH)}×{W + (2 * PadW)}");
        Check((long)N * H * W * C < int.MaxValue && (long)N * P * Q * K < int.MaxValue, "tensors over 2^31 elements are not supported");
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"N={N} C={C} H={H} W={W} K={K} R={R} S={S} stride={StrideH}x{StrideW} pad={PadH}x{PadW} dilation={DilationH}x{DilationW} groups={Groups}";

    private void Check(bool ok, string message)
    {
        if (!ok)
        {
            throw new ArgumentException($"Invalid convolution {this}: {message}.");
        }
    }
}
