namespace ILGPUInt8.Kernels.Convolution;

/// <summary>A <see cref="ConvProblem"/> flattened into plain ints for kernels, with the implicit-GEMM sizes.</summary>
internal readonly record struct ConvGeometry(
    int N, int H, int W, int C, int P, int Q, int R, int S,
    int StrideH, int StrideW, int PadH, int PadW, int DilationH, int DilationW,
    int CPerGroup, int KPerGroup, int K)
{
    /// <summary>GEMM rows: output pixels N·P·Q.</summary>
    public int GemmM => N * P * Q;

    /// <summary>GEMM reduction length per group: R·S·C/groups.</summary>
    public int GemmK => R * S * CPerGroup;

    /// <summary>Words (4 channels) per NHWC pixel.</summary>
    public int C4 => (C + 3) / 4;

    /// <summary>From a validated problem.</summary>
    public static ConvGeometry From(ConvProblem p) => new(
        p.N, p.H, p.W, p.C, p.P, p.Q, p.R, p.S, p.StrideH, p.StrideW, p.PadH, p.PadW, p.DilationH, p.DilationW,
        p.CPerGroup, p.KPerGroup, p.K);
}

/// <summary>An output pixel m = (n·P + p)·Q + q seen from the input: image n, top-left input corner (h0, w0).</summary>
internal readonly record struct ConvPixel(int N, int H0, int W0, bool Valid)
{
    /// <summary>Decodes m; rows past N·P·Q are marked invalid (their loads return zero).</summary>
    public static ConvPixel Decode(int m, ConvGeometry g)
    {
        int pq = g.P * g.Q;
        int n = m / pq;
        int rest = m - (n * pq);
        int p = rest / g.Q;
        int q = rest - (p * g.Q);
        return new ConvPixel(n, (p * g.StrideH) - g.PadH, (q * g.StrideW) - g.PadW, m < g.GemmM);
    }
}
