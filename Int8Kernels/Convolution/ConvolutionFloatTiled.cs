using ILGPU;
using ILGPUInt8.Kernels.Ops;

namespace ILGPUInt8.Kernels.Convolution;

/// <summary>
/// FP32 convolution as a shared-memory tiled implicit GEMM (groups = 1): Y[m, k] = f(bias[k] + Σ_j A[m, j] · W[k, j])
/// with m = (n·P + p)·Q + q, j = (r·S + s)·C + c, A[m, j] = x[n, p·sh − ph + r·dh, q·sw − pw + s·dw, c] (zero outside the
/// image) and W the KRSC weights. A block computes a 64×64 tile of Y with 256 threads, each a 4×4 register tile; the
/// reduction runs in steps of 16 through shared memory. Every output sums j in increasing order from bias[k], as
/// <see cref="ConvolutionFloat"/>'s direct kernel does.
/// </summary>
internal static class ConvolutionFloatTiled
{
    /// <summary>Output pixels of a block tile.</summary>
    public const int BlockM = 64;

    /// <summary>Output channels of a block tile.</summary>
    public const int BlockN = 64;

    /// <summary>Reduction step.</summary>
    public const int BlockK = 16;

    /// <summary>Threads of a block.</summary>
    public const int Threads = 256;

    /// <summary>The launch: a grid of ⌈K/64⌉ × ⌈N·P·Q/64⌉ blocks.</summary>
    public static KernelConfig Config(ConvGeometry g) =>
        new(new Index2D((g.K + BlockN - 1) / BlockN, (g.GemmM + BlockM - 1) / BlockM), new Index2D(Threads, 1));

    /// <summary>Block (bx, by) computes channels [64·bx, 64·bx + 64) of pixels [64·by, 64·by + 64).</summary>
    internal static void Kernel<TAct>(ArrayView<float> x, ArrayView<float> w, ArrayView<float> bias, ArrayView<float> y, ConvGeometry g, TAct act)
        where TAct : struct, IActivation
    {
        var sa = SharedMemory.Allocate<float>(BlockK * BlockM);
        var sb = SharedMemory.Allocate<float>(BlockK * BlockN);
        int t = Group.IdxX;
        int m0 = Grid.IdxY * BlockM;
        int n0 = Grid.IdxX * BlockN;
        int tx = t % 16, ty = t / 16;
        int gemmK = g.GemmK;

        // Accumulators start at the bias of their channel, so the sum order is bias, then j = 0, 1, ...
        var r0 = Row4.Start(bias, n0 + (tx * 4), g.K);
        var r1 = r0;
        var r2 = r0;
        var r3 = r0;

        // Loads: element e = t + 256·i of a tile; j = e % 16 varies fastest (contiguous channels in x and in W).
        for (int j0 = 0; j0 < gemmK; j0 += BlockK)
        {
            for (int i = 0; i < 4; i++)
            {
                int e = t + (Threads * i);
                int jj = e % BlockK, row = e / BlockK;
                sa[(jj * BlockM) + row] = LoadA(x, g, m0 + row, j0 + jj);
                int k = n0 + row, j = j0 + jj;
                sb[(jj * BlockN) + row] = k < g.K && j < gemmK ? w[((long)k * gemmK) + j] : 0f;
            }

            Group.Barrier();
            for (int jj = 0; jj < BlockK; jj++)
            {
                int ia = (jj * BlockM) + (ty * 4);
                int ib = (jj * BlockN) + (tx * 4);
                float b0 = sb[ib], b1 = sb[ib + 1], b2 = sb[ib + 2], b3 = sb[ib + 3];
                r0 = r0.Fma(sa[ia], b0, b1, b2, b3);
                r1 = r1.Fma(sa[ia + 1], b0, b1, b2, b3);
                r2 = r2.Fma(sa[ia + 2], b0, b1, b2, b3);
                r3 = r3.Fma(sa[ia + 3], b0, b1, b2, b3);
            }

            Group.Barrier();
        }

        int m = m0 + (ty * 4), n = n0 + (tx * 4);
        r0.Store(y, m, n, g, act);
        r1.Store(y, m + 1, n, g, act);
        r2.Store(y, m + 2, n, g, act);
        r3.Store(y, m + 3, n, g, act);
    }

    // A[m, j]: j = (r·S + s)·C + c read from x at (n, h0 + r·dh, w0 + s·dw, c); zero for padding, m ≥ M or j ≥ R·S·C.
    private static float LoadA(ArrayView<float> x, ConvGeometry g, int m, int j)
    {
        var tap = ConvTap.Locate(ConvPixel.Decode(m, g), 0, j, g);
        return tap.Inside ? x[tap.NhwcElement(g)] : 0f;
    }

    /// <summary>Four accumulators of one output pixel: channels n .. n + 3.</summary>
    internal readonly record struct Row4(float A0, float A1, float A2, float A3)
    {
        /// <summary>The biases of channels n .. n + 3 (zero past K).</summary>
        public static Row4 Start(ArrayView<float> bias, int n, int k) => new(
            n < k ? bias[n] : 0f, n + 1 < k ? bias[n + 1] : 0f, n + 2 < k ? bias[n + 2] : 0f, n + 3 < k ? bias[n + 3] : 0f);

        /// <summary>acc[i] += a · b[i].</summary>
        public Row4 Fma(float a, float b0, float b1, float b2, float b3) =>
            new(A0 + (a * b0), A1 + (a * b1), A2 + (a * b2), A3 + (a * b3));

        /// <summary>y[m, n + i] = f(acc[i]) for the channels and pixel inside the output.</summary>
        public void Store<TAct>(ArrayView<float> y, int m, int n, ConvGeometry g, TAct act)
            where TAct : struct, IActivation
        {
            if (m >= g.GemmM)
            {
                return;
            }

            long o = ((long)m * g.K) + n;
            if (n < g.K)
            {
                y[o] = act.Apply(A0);
            }

            if (n + 1 < g.K)
            {
                y[o + 1] = act.Apply(A1);
            }

            if (n + 2 < g.K)
            {
                y[o + 2] = act.Apply(A2);
            }

            if (n + 3 < g.K)
            {
                y[o + 3] = act.Apply(A3);
            }
        }
    }
}
