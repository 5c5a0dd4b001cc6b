using System.Runtime.CompilerServices;
using ILGPU;

namespace ILGPUInt8.Kernels.Arch;

/// <summary>
/// The warpgroup-level tensor-core instruction set of Hopper (sm_90a) a wgmma kernel is instantiated with (a struct
/// type parameter, as <see cref="ITensorCoreOps"/> for mma.sync): <c>wgmma.mma_async.sync.aligned.m64nNk32.s32.s8.s8</c>
/// with both operands in shared memory (matrix descriptors, <see cref="WgmmaDescriptor"/>), its fence / commit / wait,
/// and the cp.async copies that fill the pipeline. <see cref="PtxWgmmaN256"/> and <see cref="PtxWgmmaN128"/> are the PTX
/// (accumulators in named PTX registers, see <c>Int8Kernels/gen/gen_wgmma_ptx.py</c>); <see cref="EmulatedWgmmaN256"/>,
/// <see cref="EmulatedWgmmaN128"/> and <see cref="EmulatedWgmmaN64"/> run the same kernel on the CPU accelerator, decoding the descriptors and the 128-byte
/// swizzle exactly as the hardware does and keeping each thread's accumulators in a scratch buffer.
/// </summary>
internal interface IWgmmaOps
{
    /// <summary>Columns of the warpgroup's m64nN tile (its accumulators: N / 2 int32 a thread).</summary>
    int TileN { get; }

    /// <summary>Pipeline stages (of 128 bytes of K) the kernel keeps in shared memory.</summary>
    int Stages { get; }

    /// <summary>Bytes between rows of the epilogue's int32 staging tile: (N + 8)·4.</summary>
    int StagingPitchBytes { get; }

    /// <summary>Shared-window address of the dynamic shared memory (0 on the CPU accelerator).</summary>
    uint DynamicSharedBase();

    /// <summary><see cref="CpAsync.Copy16"/>.</summary>
    void Copy16(ArrayView<int> shared, uint sharedBase, int sharedOffset, ArrayView<sbyte> global, long globalAddress, long globalOffset, int srcBytes);

    /// <summary><c>cp.async.commit_group</c>.</summary>
    void CommitCopies();

    /// <summary><c>cp.async.wait_group pending</c> (a constant 0..4).</summary>
    void WaitCopies(int pending);

    /// <summary>
    /// <c>fence.proxy.async.shared::cta</c>: makes this thread's generic-proxy writes to shared memory (cp.async
    /// included) visible to the async proxy that wgmma reads through; then a barrier.
    /// </summary>
    void FenceProxyAsync();

    /// <summary>Sets this thread's accumulators to 0.</summary>
    void ZeroAccumulators(ArrayView<int> scratch);

    /// <summary><c>wgmma.fence.sync.aligned</c>: orders earlier register and shared accesses before the next wgmma.</summary>
    void Fence();

    /// <summary>
    /// D[64×N] += A[64×32]·B[N×32]ᵀ for this warpgroup: A and B K-major in shared memory with the 128-byte swizzle,
    /// described by <paramref name="descA"/> and <paramref name="descB"/>. All 128 threads of the warpgroup call it.
    /// </summary>
    void Mma(ArrayView<int> shared, long descA, long descB, ArrayView<int> scratch);

    /// <summary><c>wgmma.commit_group.sync.aligned</c>.</summary>
    void CommitMma();

    /// <summary><c>wgmma.wait_group.sync.aligned pending</c> (a constant 0 or 1).</summary>
    void WaitMma(int pending);

    /// <summary>
    /// Stores this thread's accumulators into the int32 staging tile: register i goes to the element at
    /// 8·pitch·((i &gt;&gt; 1) &amp; 1) + 32·(i &gt;&gt; 2) + 4·(i &amp; 1) bytes past the thread's own (row 16w + g, column 2t),
    /// whose shared address is <paramref name="sharedAddress"/> (PTX) and byte offset in the view
    /// <paramref name="viewByteOffset"/> (emulation).
    /// </summary>
    void StoreAccumulators(ArrayView<int> shared, uint sharedAddress, int viewByteOffset, ArrayView<int> scratch);
}

/// <summary>
/// Shared-memory matrix descriptors for wgmma (PTX ISA, "Matrix Descriptor Format"), the K-major 128-byte-swizzle
/// form every wgmma kernel here uses: bits 0-13 start address &gt;&gt; 4, bits 16-29 leading byte offset &gt;&gt; 4 (unused for
/// a swizzled K-major operand whose k step fits the 128-byte row; 1 by convention), bits 32-45 stride byte offset
/// &gt;&gt; 4 (1024 bytes between groups of 8 rows), bits 49-51 base offset (0: the swizzle atoms are 1024-byte aligned),
/// bits 62-63 swizzle mode (1 = 128 bytes). Rows are 128 bytes (one stage of K); inside each 8-row, 1024-byte atom the
/// 16-byte chunk c of row r sits at chunk c ^ r, i.e. address bits 4-6 are XORed with bits 7-9.
/// The k step j (32 bytes) of a stage adds 32·j to the start address (2·j to the descriptor).
/// The halo-tile convolution reads its shifted input tile through the no-swizzle form (<see cref="NoSwizzle"/>).
/// The TMA-fed convolution also uses the 64-byte swizzle for 64-byte K chunks (<see cref="Swizzle64"/>): rows of 64
/// bytes, 8-row atoms of 512 bytes, swizzle mode 2, address bits 4-5 XORed with bits 7-8.
/// </summary>
internal static class WgmmaDescriptor
{
    /// <summary>Bytes between consecutive 8-row groups (the swizzle atom).</summary>
    public const int AtomBytes = 1024;

    /// <summary>The descriptor of an operand whose row 0 starts at shared address <paramref name="address"/> (1024-aligned).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Swizzle128(uint address) =>
        ((long)((address & 0x3FFFF) >> 4)) | (1L << 16) | ((long)(AtomBytes >> 4) << 32) | (1L << 62);

    /// <summary>
    /// The no-swizzle K-major descriptor (PTX ISA, "Matrix Descriptor Format", mode 0): core matrices of 8 rows × 16
    /// contiguous bytes, the next 16 bytes of K <paramref name="leadingBytes"/> further, the next 8 rows
    /// <paramref name="strideBytes"/> further.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long NoSwizzle(uint address, int leadingBytes, int strideBytes) =>
        ((long)((address & 0x3FFFF) >> 4)) | ((long)((leadingBytes >> 4) & 0x3FFF) << 16) | ((long)((strideBytes >> 4) & 0x3FFF) << 32);

    /// <summary>The descriptor of a K-major operand of 64-byte rows with the 64-byte swizzle (512-byte atoms, 512-aligned).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Swizzle64(uint address) =>
        ((long)((address & 0x3FFFF) >> 4)) | (1L << 16) | ((long)(512 >> 4) << 32) | (2L << 62);

    /// <summary>The descriptor for K chunks of <paramref name="rowBytes"/> (128: <see cref="Swizzle128"/>, 64: <see cref="Swizzle64"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long ForRows(int rowBytes, uint address) => rowBytes == 64 ? Swizzle64(address) : Swizzle128(address);

    /// <summary>Start address (bytes) a descriptor encodes.</summary>
    public static int StartAddress(long descriptor) => (int)(descriptor & 0x3FFF) << 4;

    /// <summary>Stride byte offset a descriptor encodes.</summary>
    public static int StrideBytes(long descriptor) => (int)((descriptor >> 32) & 0x3FFF) << 4;

    /// <summary>
    /// Byte address of element (row, k) of a K-major 128-byte-swizzled operand starting at <paramref name="start"/>:
    /// the canonical address start + (row / 8)·stride + (row % 8)·128 + k, then bits 4-6 XOR bits 7-9.
    /// </summary>
    public static int ElementAddress(int start, int stride, int row, int k)
    {
        int linear = start + ((row >> 3) * stride) + ((row & 7) * 128) + k;
        return linear ^ (((linear >> 7) & 7) << 4);
    }

    /// <summary>
    /// Byte address of element (row, k) of the operand a descriptor describes, in its swizzle mode: 128-byte rows as
    /// <see cref="ElementAddress(int, int, int, int)"/>; (mode 0, no swizzle) start + (row / 8)·stride + (row % 8)·16 +
    /// (k / 16)·leading + k % 16; or (mode 2) 64-byte rows, start + (row / 8)·stride +
    /// (row % 8)·64 + k with bits 4-5 XORed with bits 7-8.
    /// </summary>
    public static int ElementAddress(long descriptor, int row, int k)
    {
        int start = StartAddress(descriptor), stride = StrideBytes(descriptor);
        if ((ulong)descriptor >> 62 == 0)
        {
            // No swizzle: core matrices of 8 rows × 16 contiguous bytes, the next 16 bytes of K a leading byte offset further.
            int leading = (int)((descriptor >> 16) & 0x3FFF) << 4;
            return start + ((row >> 3) * stride) + ((row & 7) * 16) + ((k >> 4) * leading) + (k & 15);
        }

        if ((ulong)descriptor >> 62 == 2)
        {
            int linear = start + ((row >> 3) * stride) + ((row & 7) * 64) + k;
            return linear ^ (((linear >> 7) & 3) << 4);
        }

        return ElementAddress(start, stride, row, k);
    }
}

/// <summary>
/// What the emulated wgmma computes for one thread (any accelerator; the CPU accelerator in tests): accumulators in
/// <c>scratch</c> at (block·threads + thread)·N/2; an m64nNk32 product reads A and B through the descriptors with
/// <see cref="WgmmaDescriptor.ElementAddress(long, int, int)"/>. Executed at issue, which is one legal schedule of the asynchronous
/// instruction (the kernels wait and fence exactly as the hardware needs, which the GPU tests check).
/// </summary>
internal static class WgmmaEmulation
{
    /// <summary>This thread's first accumulator in the scratch buffer.</summary>
    public static long Slot(int n) => (((long)Grid.IdxX * Group.DimX) + Group.IdxX) * (n / 2);

    /// <summary>Zeroes the thread's N/2 accumulators.</summary>
    public static void Zero(int n, ArrayView<int> scratch)
    {
        long slot = Slot(n);
        for (int i = 0; i < n / 2; i++)
        {
            scratch[slot + i] = 0;
        }
    }

    /// <summary>
    /// acc[i] += Σ_k A[row(i)][k]·B[col(i)][k] over k = 0..31, with row(i) = 16w + g + 8·((i &gt;&gt; 1) &amp; 1) and
    /// col(i) = 8·(i &gt;&gt; 2) + 2t + (i &amp; 1) (w: warp of the warpgroup, g = lane &gt;&gt; 2, t = lane &amp; 3).
    /// </summary>
    public static void Mma(int n, ArrayView<int> shared, long descA, long descB, ArrayView<int> scratch)
    {
        var bytes = shared.Cast<sbyte>();
        int thread = Group.IdxX & 127;
        int w = thread >> 5, g = (thread & 31) >> 2, t = thread & 3;
        long slot = Slot(n);
        for (int i = 0; i < n / 2; i++)
        {
            int row = (16 * w) + g + (8 * ((i >> 1) & 1));
            int col = (8 * (i >> 2)) + (2 * t) + (i & 1);
            int sum = 0;
            for (int k = 0; k < 32; k++)
            {
                sum += bytes[WgmmaDescriptor.ElementAddress(descA, row, k)] * bytes[WgmmaDescriptor.ElementAddress(descB, col, k)];
            }

            scratch[slot + i] += sum;
        }
    }

    /// <summary>
    /// The FP16 m64nNk16 product: float acc[i] (bits in the scratch) += Σ_k A[row(i)][k]·B[col(i)][k] over the 16 halves
    /// (32 bytes) of the k step, in the reference order of <see cref="MmaFloat"/> (byte quads q = 0..3: halves 2q, 2q+1,
    /// 8+2q, 9+2q), each product exact, each addition one FP32 rounding.
    /// </summary>
    public static void MmaF16(int n, ArrayView<int> shared, long descA, long descB, ArrayView<int> scratch)
    {
        var halves = shared.Cast<ushort>();
        int thread = Group.IdxX & 127;
        int w = thread >> 5, g = (thread & 31) >> 2, t = thread & 3;
        long slot = Slot(n);
        for (int i = 0; i < n / 2; i++)
        {
            int row = (16 * w) + g + (8 * ((i >> 1) & 1));
            int col = (8 * (i >> 2)) + (2 * t) + (i & 1);
            float acc = Interop.IntAsFloat((uint)scratch[slot + i]);
            for (int j = 0; j < 16; j++)
            {
                // j → byte (quad q = j >> 2, then 0-3 in the low 16 bytes, 4-7 in the high 16).
                int q = j >> 2, e = j & 3;
                int k = (e < 2 ? 4 * q : 16 + (4 * q)) + (2 * (e & 1));
                float x = HalfConvert.ToFloat(halves[WgmmaDescriptor.ElementAddress(descA, row, k) >> 1]);
                float y = HalfConvert.ToFloat(halves[WgmmaDescriptor.ElementAddress(descB, col, k) >> 1]);
                acc += x * y;
            }

            scratch[slot + i] = (int)Interop.FloatAsInt(acc);
        }
    }

    /// <summary>The staging store of <see cref="IWgmmaOps.StoreAccumulators"/>.</summary>
    public static void Store(int n, ArrayView<int> shared, int viewByteOffset, ArrayView<int> scratch)
    {
        int pitch = (n + 8) * 4;
        long slot = Slot(n);
        for (int i = 0; i < n / 2; i++)
        {
            int offset = viewByteOffset + (8 * pitch * ((i >> 1) & 1)) + (32 * (i >> 2)) + (4 * (i & 1));
            shared[offset >> 2] = scratch[slot + i];
        }
    }
}
