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
/// The operands are read through <see cref="IF32Operand"/> layouts (row-major, transposed, implicit im2col), so the
/// host's transposes and im2col rows are never built. No split over t: the sum order is the point.
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

    /// <summary>The launch: ⌈M/64⌉ × ⌈N/64⌉ blocks of 256 threads (M, often N·P·Q pixels, on x: no 65 535 limit).</summary>
    internal static KernelConfig Config(GemmProblem problem) =>
        new(new Index2D((problem.M + TileM - 1) / TileM, (problem.N + TileN - 1) / TileN), new Index2D(Threads, 1));

    /// <summary>
    /// C [M × N] (row-major, N a row) = A · Bᵀ + bias on <paramref name="device"/>; <paramref name="bias"/> is empty (no
    /// bias) or holds N values. Asynchronous on the device's default stream.
    /// </summary>
    public static void Run(Int8Device device, ArrayView<float> a, ArrayView<float> b, ArrayView<float> bias, ArrayView<float> c, GemmProblem problem)
    {
        problem.Validate();
        if (a.Length < ((long)(problem.M - 1) * problem.Lda) + problem.K || b.Length < ((long)(problem.N - 1) * problem.Ldb) + problem.K)
        {
            throw new ArgumentException($"FP32 GEMM {problem} (lda {problem.Lda}, ldb {problem.Ldb}): operands of {a.Length} and {b.Length} values are too small.");
        }

        Run(device, a, b, bias, c, problem, new RowMajorF32(problem.M, problem.K, problem.Lda), new RowMajorF32(problem.N, problem.K, problem.Ldb));
    }

    /// <summary>
    /// C = A · Bᵀ + bias with A and B read through operand layouts (<see cref="IF32Operand"/>: row-major, transposed, or
    /// im2col rows of an NHWC input); M, N, K from <paramref name="problem"/> (its leading dimensions unused).
    /// </summary>
    internal static void Run<TA, TB>(Int8Device device, ArrayView<float> a, ArrayView<float> b, ArrayView<float> bias, ArrayView<float> c, GemmProblem problem, TA opA, TB opB)
        where TA : struct, IF32Operand
        where TB : struct, IF32Operand
    {
        ArgumentNullException.ThrowIfNull(device);
        problem.Validate();
        if (c.Length < (long)problem.M * problem.N || (bias.Length != 0 && bias.Length < problem.N))
        {
            throw new ArgumentException($"FP32 GEMM {problem}: C of {c.Length} values or a bias of {bias.Length} is too small.");
        }

        if ((problem.N + TileN - 1) / TileN > 65535)
        {
            throw new ArgumentException($"FP32 GEMM {problem}: N over {65535 * TileN} columns needs more than 65535 blocks in y.");
        }

        // On CUDA through PtxLocalSlotPass: ILGPU routes every inline-PTX result (each fma.rn.f32) through a 4-byte
        // .local slot, which the pass turns back into a register.
        var kernel = device.GetKernel($"gemm.f32.fma.{typeof(TA).Name}.{typeof(TB).Name}", acc =>
            acc.AcceleratorType == AcceleratorType.Cuda
                ? PtxLocalSlotPass.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmProblem, Operands<TA, TB>>(acc, Kernel, 0)
                : acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmProblem, Operands<TA, TB>>(Kernel));
        kernel(Config(problem), a, b, bias, c, problem, new Operands<TA, TB>(opA, opB));
    }

    /// <summary>Block (bx, by) computes C[64·bx .. +64][64·by .. +64].</summary>
    internal static void Kernel<TA, TB>(ArrayView<float> a, ArrayView<float> b, ArrayView<float> bias, ArrayView<float> c, GemmProblem p, Operands<TA, TB> ops)
        where TA : struct, IF32Operand
        where TB : struct, IF32Operand
    {
        var (opA, opB) = (ops.A, ops.B);
        var sa = SharedMemory.Allocate<float>(StepK * Stride);
        var sb = SharedMemory.Allocate<float>(StepK * Stride);
        int tid = Group.IdxX, tx = tid % 16, ty = tid / 16;
        int m0 = Grid.IdxX * TileM, n0 = Grid.IdxY * TileN;
        var sta = Staged.Load(opA, a, m0, 0, tid);
        var stb = Staged.Load(opB, b, n0, 0, tid);
        var r0 = default(Acc4);
        var r1 = default(Acc4);
        var r2 = default(Acc4);
        var r3 = default(Acc4);
        int rows = Math.Min(4, (p.M - m0 + 15) / 16), columns = Math.Min(4, (p.N - n0 + 15) / 16);
        for (int t0 = 0; t0 < p.K; t0 += StepK)
        {
            sta.Store(opA, sa, tid);
            stb.Store(opB, sb, tid);
            Group.Barrier();
            if (t0 + StepK < p.K)
            {
                sta = Staged.Load(opA, a, m0, t0 + StepK, tid);
                stb = Staged.Load(opB, b, n0, t0 + StepK, tid);
            }

            // acc = fma(A[m][t], B[n][t], acc) for t = t0, t0 + 1, ... < K: only real t, so the order is the host's.
            // Row groups and column groups wholly past C are skipped (block-uniform tests): a weight gradient's
            // 16 × 9 outputs over 50 000 t do a sixteenth of the tile's work.
            int steps = Math.Min(StepK, p.K - t0);
            for (int k = 0; k < steps; k++)
            {
                int o = k * Stride;
                float b0 = sb[o + tx], b1 = sb[o + tx + 16], b2 = sb[o + tx + 32], b3 = sb[o + tx + 48];
                r0 = r0.Fma(sa[o + ty], b0, b1, b2, b3, columns);
                if (rows > 1)
                {
                    r1 = r1.Fma(sa[o + ty + 16], b0, b1, b2, b3, columns);
                }

                if (rows > 2)
                {
                    r2 = r2.Fma(sa[o + ty + 32], b0, b1, b2, b3, columns);
                }

                if (rows > 3)
                {
                    r3 = r3.Fma(sa[o + ty + 48], b0, b1, b2, b3, columns);
                }
            }

            Group.Barrier();
        }

        r0.Store(c, bias, m0 + ty, n0 + tx, p);
        r1.Store(c, bias, m0 + ty + 16, n0 + tx, p);
        r2.Store(c, bias, m0 + ty + 32, n0 + tx, p);
        r3.Store(c, bias, m0 + ty + 48, n0 + tx, p);
    }

    /// <summary>The layouts of A and B (one kernel parameter).</summary>
    internal readonly record struct Operands<TA, TB>(TA A, TB B)
        where TA : struct, IF32Operand
        where TB : struct, IF32Operand;

    /// <summary>
    /// A thread's four staged values of a 64 × 16 operand tile (element e = tid + 256·i). Rows adjacent in memory: row
    /// e % 64, t e / 64 (rows tid % 64, t tid / 64 + 4·i); else t e % 16, row e / 16 (t tid % 16, rows tid / 16 + 16·i).
    /// Either way the loads run along memory and the shared stores (rows padded to 65 floats) spread over the banks.
    /// </summary>
    private readonly record struct Staged(float V0, float V1, float V2, float V3)
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Staged Load<TOp>(TOp op, ArrayView<float> x, int row0, int t0, int tid)
            where TOp : struct, IF32Operand
        {
            if (op.RowsAdjacent)
            {
                int row = row0 + (tid % TileM), t = t0 + (tid / TileM);
                return new(op.Load(x, row, t), op.Load(x, row, t + 4), op.Load(x, row, t + 8), op.Load(x, row, t + 12));
            }

            int r = row0 + (tid / StepK), tt = t0 + (tid % StepK);
            return new(op.Load(x, r, tt), op.Load(x, r + 16, tt), op.Load(x, r + 32, tt), op.Load(x, r + 48, tt));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Store<TOp>(TOp op, ArrayView<float> shared, int tid)
            where TOp : struct, IF32Operand
        {
            if (op.RowsAdjacent)
            {
                int at = ((tid / TileM) * Stride) + (tid % TileM);
                shared[at] = V0;
                shared[at + (4 * Stride)] = V1;
                shared[at + (8 * Stride)] = V2;
                shared[at + (12 * Stride)] = V3;
                return;
            }

            int i = ((tid % StepK) * Stride) + (tid / StepK);
            shared[i] = V0;
            shared[i + 16] = V1;
            shared[i + 32] = V2;
            shared[i + 48] = V3;
        }
    }

    /// <summary>The accumulators of one row of C: columns n, n + 16, n + 32, n + 48.</summary>
    private readonly record struct Acc4(float X0, float X1, float X2, float X3)
    {
        /// <summary>acc[j] = fma(a, b[j], acc[j]) for the first <paramref name="columns"/> column groups (the rest lie past C).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Acc4 Fma(float a, float b0, float b1, float b2, float b3, int columns) => columns switch
        {
            1 => this with { X0 = FmaF32.Fma(a, b0, X0) },
            2 => this with { X0 = FmaF32.Fma(a, b0, X0), X1 = FmaF32.Fma(a, b1, X1) },
            3 => this with { X0 = FmaF32.Fma(a, b0, X0), X1 = FmaF32.Fma(a, b1, X1), X2 = FmaF32.Fma(a, b2, X2) },
            _ => new(FmaF32.Fma(a, b0, X0), FmaF32.Fma(a, b1, X1), FmaF32.Fma(a, b2, X2), FmaF32.Fma(a, b3, X3)),
        };

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
