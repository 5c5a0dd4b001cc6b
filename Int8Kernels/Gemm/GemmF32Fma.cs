using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Gemm;

/// <summary>
/// The FP32 GEMM of training, bit-exact with the host SGEMM (the CPU backend's <c>CpuConvF32</c>):
/// C[m][n] = bias[n] + Σ_t A[m·lda + t] · B[n·ldb + t], each output summed by one thread from +0 in t order with fused
/// multiply-adds (<see cref="FmaF32"/>: <c>fma.rn.f32</c>, no flush to zero), then the bias (0 when empty) added once —
/// the host's order and rounding exactly. A block computes a 64 × 64 tile of C with 256 threads, each a 4 × 4 register
/// tile (rows ty + 16·i, columns tx + 16·j: conflict-free shared reads, coalesced stores); t runs in steps of 16 through
/// shared memory (rows padded to 65 floats), the next step's operands loaded into registers while this one is summed.
/// No split over t: the sum order is the point.
/// </summary>
public static class GemmF32Fma
{
    /// <summary>Rows of C per block.</summary>
    public const int TileM = 64;

    /// <summary>Columns of C per block.</summary>
    public const int TileN = 64;

    /// <summary>Reduction step through shared memory.</summary>
    public const int StepK = 16;

    /// <summary>Threads per block (16 × 16, each 4 × 4 outputs).</summary>
    public const int Threads = 256;

    // One t's 64 rows in shared memory, padded by one float so the staging stores spread over the banks.
    private const int Stride = TileM + 1;

    /// <summary>The launch: ⌈N/64⌉ × ⌈M/64⌉ blocks of 256 threads.</summary>
    internal static KernelConfig Config(GemmProblem problem) =>
        new(new Index2D((problem.N + TileN - 1) / TileN, (problem.M + TileM - 1) / TileM), new Index2D(Threads, 1));

    /// <summary>
    /// C [M × N] (row-major, N a row) = A · Bᵀ + bias on <paramref name="device"/>; <paramref name="bias"/> is empty (no
    /// bias) or holds N values. Asynchronous on the device's default stream.
    /// </summary>
    public static void Run(Int8Device device, ArrayView<float> a, ArrayView<float> b, ArrayView<float> bias, ArrayView<float> c, GemmProblem problem)
    {
        ArgumentNullException.ThrowIfNull(device);
        problem.Validate();
        if (a.Length < ((long)(problem.M - 1) * problem.Lda) + problem.K || b.Length < ((long)(problem.N - 1) * problem.Ldb) + problem.K
            || c.Length < (long)problem.M * problem.N || (bias.Length != 0 && bias.Length < problem.N))
        {
            throw new ArgumentException($"FP32 GEMM {problem} (lda {problem.Lda}, ldb {problem.Ldb}): views of {a.Length}, {b.Length}, bias {bias.Length}, {c.Length} values are too small.");
        }

        if ((problem.M + TileM - 1) / TileM > 65535)
        {
            throw new ArgumentException($"FP32 GEMM {problem}: M over {65535 * TileM} rows needs more than 65535 blocks in y.");
        }

        var kernel = device.GetKernel("gemm.f32.fma", acc =>
            acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmProblem>(Kernel));
        kernel(Config(problem), a, b, bias, c, problem);
    }

    /// <summary>Block (bx, by) computes C[64·by .. +64][64·bx .. +64].</summary>
    internal static void Kernel(ArrayView<float> a, ArrayView<float> b, ArrayView<float> bias, ArrayView<float> c, GemmProblem p)
    {
        var sa = SharedMemory.Allocate<float>(StepK * Stride);
        var sb = SharedMemory.Allocate<float>(StepK * Stride);
        int tid = Group.IdxX, tx = tid % 16, ty = tid / 16;
        int m0 = Grid.IdxY * TileM, n0 = Grid.IdxX * TileN;

        // Staging: thread tid loads t = tid % 16 (contiguous in memory) of rows tid / 16 + 16·i, i = 0 .. 3.
        int lt = tid % 16, lr = tid / 16;
        var sta = Staged.Load(a, p.Lda, m0 + lr, p.M, lt, p.K);
        var stb = Staged.Load(b, p.Ldb, n0 + lr, p.N, lt, p.K);
        var r0 = default(Acc4);
        var r1 = default(Acc4);
        var r2 = default(Acc4);
        var r3 = default(Acc4);
        for (int t0 = 0; t0 < p.K; t0 += StepK)
        {
            sta.Store(sa, (lt * Stride) + lr);
            stb.Store(sb, (lt * Stride) + lr);
            Group.Barrier();
            if (t0 + StepK < p.K)
            {
                sta = Staged.Load(a, p.Lda, m0 + lr, p.M, t0 + StepK + lt, p.K);
                stb = Staged.Load(b, p.Ldb, n0 + lr, p.N, t0 + StepK + lt, p.K);
            }

            // acc = fma(A[m][t], B[n][t], acc) for t = t0, t0 + 1, ... < K: only real t, so the order is the host's.
            int steps = Math.Min(StepK, p.K - t0);
            for (int k = 0; k < steps; k++)
            {
                int o = k * Stride;
                float b0 = sb[o + tx], b1 = sb[o + tx + 16], b2 = sb[o + tx + 32], b3 = sb[o + tx + 48];
                r0 = r0.Fma(sa[o + ty], b0, b1, b2, b3);
                r1 = r1.Fma(sa[o + ty + 16], b0, b1, b2, b3);
                r2 = r2.Fma(sa[o + ty + 32], b0, b1, b2, b3);
                r3 = r3.Fma(sa[o + ty + 48], b0, b1, b2, b3);
            }

            Group.Barrier();
        }

        r0.Store(c, bias, m0 + ty, n0 + tx, p);
        r1.Store(c, bias, m0 + ty + 16, n0 + tx, p);
        r2.Store(c, bias, m0 + ty + 32, n0 + tx, p);
        r3.Store(c, bias, m0 + ty + 48, n0 + tx, p);
    }

    /// <summary>Four values of one t in rows row, row + 16, row + 32, row + 48 of an operand (0 outside it).</summary>
    private readonly record struct Staged(float V0, float V1, float V2, float V3)
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Staged Load(ArrayView<float> x, int ld, int row, int rows, int t, int k) => new(
            At(x, ld, row, rows, t, k), At(x, ld, row + 16, rows, t, k), At(x, ld, row + 32, rows, t, k), At(x, ld, row + 48, rows, t, k));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Store(ArrayView<float> shared, int at)
        {
            shared[at] = V0;
            shared[at + 16] = V1;
            shared[at + 32] = V2;
            shared[at + 48] = V3;
        }

        private static float At(ArrayView<float> x, int ld, int row, int rows, int t, int k) =>
            row < rows && t < k ? x[((long)row * ld) + t] : 0f;
    }

    /// <summary>The accumulators of one row of C: columns n, n + 16, n + 32, n + 48.</summary>
    private readonly record struct Acc4(float X0, float X1, float X2, float X3)
    {
        /// <summary>acc[j] = fma(a, b[j], acc[j]).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Acc4 Fma(float a, float b0, float b1, float b2, float b3) =>
            new(FmaF32.Fma(a, b0, X0), FmaF32.Fma(a, b1, X1), FmaF32.Fma(a, b2, X2), FmaF32.Fma(a, b3, X3));

        /// <summary>C[m][n + 16·j] = acc[j] + bias[n + 16·j] (+ 0 without a bias) inside C.</summary>
        public void Store(ArrayView<float> c, ArrayView<float> bias, int m, int n, GemmProblem p)
        {
            if (m >= p.M)
            {
                return;
            }

            long row = (long)m * p.N;
            Put(c, bias, row, n, X0, p.N);
            Put(c, bias, row, n + 16, X1, p.N);
            Put(c, bias, row, n + 32, X2, p.N);
            Put(c, bias, row, n + 48, X3, p.N);
        }

        private static void Put(ArrayView<float> c, ArrayView<float> bias, long row, int n, float acc, int columns)
        {
            if (n < columns)
            {
                c[row + n] = FmaF32.Add(acc, bias.Length > 0 ? bias[n] : 0f);
            }
        }
    }
}
