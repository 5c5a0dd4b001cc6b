namespace ILGPUInt8.Kernels.Ops;

/// <summary>
/// A 2-D pooling window over NHWC [N, H, W, C] → [N, P, Q, C]. Output height (width likewise), with top padding padH
/// and bottom padding padB (<see cref="PadBottom"/>, = padH unless set):
/// floor mode P = ⌊(H + padH + padB − R) / strideH⌋ + 1; ceil mode P = ⌈(H + padH + padB − R) / strideH⌉ + 1, less one
/// when the last window would start past the input and its left padding ((P − 1)·strideH ≥ H + padH), as PyTorch and ONNX.
/// </summary>
/// <param name="N">Batch.</param>
/// <param name="C">Channels.</param>
/// <param name="H">Input height.</param>
/// <param name="W">Input width.</param>
/// <param name="R">Window height.</param>
/// <param name="S">Window width.</param>
/// <param name="StrideH">Vertical stride.</param>
/// <param name="StrideW">Horizontal stride.</param>
/// <param name="PadH">Top padding (and bottom, unless <see cref="PadBottom"/> is set).</param>
/// <param name="PadW">Left padding (and right, unless <see cref="PadRight"/> is set).</param>
/// <param name="CeilMode">Round the output size up.</param>
public sealed record PoolProblem(int N, int C, int H, int W, int R, int S, int StrideH, int StrideW, int PadH = 0, int PadW = 0, bool CeilMode = false)
{
    /// <summary>Bottom padding (ONNX's explicit end pad; defaults to <see cref="PadH"/>).</summary>
    public int PadBottom { get; init; } = PadH;

    /// <summary>Right padding (defaults to <see cref="PadW"/>).</summary>
    public int PadRight { get; init; } = PadW;

    /// <summary>Output height.</summary>
    public int P => OutputSize(H, R, StrideH, PadH, PadBottom, CeilMode);

    /// <summary>Output width.</summary>
    public int Q => OutputSize(W, S, StrideW, PadW, PadRight, CeilMode);

    /// <summary>A global pooling (window = the whole image).</summary>
    public static PoolProblem Global(int n, int c, int h, int w) => new(n, c, h, w, h, w, 1, 1);

    /// <summary>Output size along one axis (the same padding at both ends).</summary>
    public static int OutputSize(int input, int window, int stride, int pad, bool ceil) => OutputSize(input, window, stride, pad, pad, ceil);

    /// <summary>Output size along one axis with padding <paramref name="pad"/> before and <paramref name="padEnd"/> after.</summary>
    public static int OutputSize(int input, int window, int stride, int pad, int padEnd, bool ceil)
    {
        int span = input + pad + padEnd - window;
        if (span < 0 || stride <= 0)
        {
            return 0;
        }

        int size = ceil ? ((span + stride - 1) / stride) + 1 : (span / stride) + 1;
        if (ceil && (size - 1) * stride >= input + pad)
        {
            size--;
        }

        return size;
    }

    /// <summary>Throws an ArgumentException naming the bad parameter.</summary>
    public void Validate()
    {
        if (N <= 0 || C <= 0 || H <= 0 || W <= 0 || R <= 0 || S <= 0 || StrideH <= 0 || StrideW <= 0)
        {
            throw new ArgumentException($"Invalid pooling {this}: sizes, window and strides must be positive.");
        }

        // Pads below the window keep an input position in every window (ONNX's bound), so a max never sees padding only.
        if (PadH < 0 || PadW < 0 || PadBottom < 0 || PadRight < 0 || PadH >= R || PadBottom >= R || PadW >= S || PadRight >= S)
        {
            throw new ArgumentException($"Invalid pooling {this}: padding must be in [0, window).");
        }

        if (P <= 0 || Q <= 0)
        {
            throw new ArgumentException($"Invalid pooling {this}: the window {R}×{S} is larger than the padded input {H + PadH + PadBottom}×{W + PadW + PadRight}.");
        }

        if ((long)N * H * W * C > int.MaxValue)
        {
            throw new ArgumentException($"Invalid pooling {this}: tensors over 2^31 elements are not supported.");
        }
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"N={N} C={C} H={H} W={W} window={R}x{S} stride={StrideH}x{StrideW} pad={PadH}x{PadW}{(PadBottom != PadH || PadRight != PadW ? $"/{PadBottom}x{PadRight}" : string.Empty)}{(CeilMode ? " ceil" : string.Empty)}";

    /// <summary>The kernel view.</summary>
    internal PoolGeometry Geometry => new(N, C, H, W, P, Q, R, S, StrideH, StrideW, PadH, PadW, PadBottom, PadRight);
}

/// <summary>A <see cref="PoolProblem"/> as plain ints for kernels.</summary>
internal readonly record struct PoolGeometry(int N, int C, int H, int W, int P, int Q, int R, int S, int StrideH, int StrideW, int PadH, int PadW, int PadBottom, int PadRight)
{
    /// <summary>
    /// The window of output (p, q): rows [h0, h1) and columns [w0, w1) inside the input, and the size of the window
    /// clipped to the padded input (the divisor when padding counts).
    /// </summary>
    public PoolWindow Window(int p, int q)
    {
        int hs = (p * StrideH) - PadH;
        int ws = (q * StrideW) - PadW;
        int he = hs + R < H + PadBottom ? hs + R : H + PadBottom;
        int we = ws + S < W + PadRight ? ws + S : W + PadRight;
        int padded = (he - hs) * (we - ws);
        int h0 = hs < 0 ? 0 : hs;
        int w0 = ws < 0 ? 0 : ws;
        int h1 = he < H ? he : H;
        int w1 = we < W ? we : W;
        return new PoolWindow(h0, h1, w0, w1, padded);
    }
}

/// <summary>Rows [H0, H1), columns [W0, W1) inside the input; <see cref="Padded"/> counts padding positions too.</summary>
internal readonly record struct PoolWindow(int H0, int H1, int W0, int W1, int Padded)
{
    /// <summary>Input positions inside the window.</summary>
    public int Valid => (H1 - H0) * (W1 - W0);
}
