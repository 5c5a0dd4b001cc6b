#!/usr/bin/env python3
"""Generates the unrolled tensor-core (mma.sync m16n8k32) GEMM kernels, one C# file per block tile shape, and the
implicit-GEMM convolution kernels that share their pipeline:

    python3 Int8Kernels/gen/gen_mma_gemm.py    (writes Int8Kernels/Gemm/GemmMmaTn*.Generated.cs,
                                                      Int8Kernels/Gemm/MmaTileEpilogue.Generated.cs and
                                                      Int8Kernels/Convolution/ConvMma*.Generated.cs,
                                                      Int8Kernels/Convolution/ConvMmaPersistent*.Generated.cs and
                                                      Int8Kernels/Gemm/MmaFragmentEpilogue.Generated.cs)

One kernel per tile shape, generic in the pipeline depth (a struct type parameter, IMmaStages): every stage count of
a shape is a small variant class beside it that instantiates the same kernel. The epilogue (accumulator fragments ->
shared staging tile -> IGemmEpilogue on 4 columns a thread) is one generated helper, MmaTileEpilogue.Store, that the
GEMM and the convolution kernels of every shape call (ILGPU inlines it; its tile constants fold).

A convolution kernel differs only in how the A tile is copied: row m is output pixel (n, p, q), the 16-byte chunk at
reduction index k = (r·S + s)·C + c is x[n, p·sh − ph + r·dh, q·sw − pw + s·dw, c..c+15] (C a multiple of 16, so a
chunk never spans two filter taps), zero-filled by cp.async (src-size 0) outside the image, past M or past K.

ILGPU does not unroll loops and would put an indexed register tile in local memory, so each thread's 64x64 warp-tile
share (4 m16 x 8 n8 tiles = 128 int32 accumulators), its double-buffered A/B fragments (2 x 32 registers) and the four
32-byte k steps of a 128-byte stage are written out as scalar locals and straight-line code.

Layout of one pipeline stage in dynamic shared memory: A rows [TileM][128 B] then B rows [TileN][128 B]; the
16-byte chunk c of row r sits at chunk c ^ (r & 7) (conflict-free 16-byte copies and ldmatrix phases).
"""
import os

STAGE_K = 128  # bytes of K a stage holds
KSTEPS = STAGE_K // 32
HERE = os.path.dirname(os.path.abspath(__file__))
KERNELS_DIR = os.path.dirname(HERE)
OUT_DIR = os.path.join(KERNELS_DIR, "Gemm")
CONV_DIR = os.path.join(KERNELS_DIR, "Convolution")

# (TileM, TileN, warps along M, warps along N, [(stages, leaves problems of fewer tiles than SMs to the next variant)])
CONFIGS = [
    (128, 256, 2, 4, [(3, True)]),
    (128, 128, 2, 2, [(4, False)]),
]

# Convolution tiles (TileM, TileN, warps along M, warps along N, [stages]): 128×64 for K = 64 layers, 64×64 (one warp)
# for the emulated CPU tests; 3 stages let two 128×128 blocks (three 128×64) share a multiprocessor, 4 give one (two).
# The first stage count names the class (ConvMma128x128); the others add S<stages> (ConvMma128x128S3).
CONV_CONFIGS = [
    (128, 128, 2, 2, [4, 3]),
    (128, 64, 2, 1, [4, 3]),
    (64, 64, 1, 1, [4]),
]

# Floating-point (FP16 / TF32 inputs, FP32 accumulators) GEMM tiles (TileM, TileN, warps along M, warps along N, [stages]):
# the int8 kernels' shapes (a 128-byte stage is 64 halves or 32 floats of K); the first stage count is the default.
FLOAT_CONFIGS = [
    (128, 256, 2, 4, [3]),
    (128, 128, 2, 2, [4, 3]),
]

# Floating-point implicit-GEMM convolution tiles (FP16 NHWC input with C a multiple of 8, or TF32 with C a multiple of 4:
# byte for byte the int8 gather of 2C or 4C channels), the int8 convolution's shapes: ConvMmaFloat<tile>.Generated.cs.
FLOAT_CONV_CONFIGS = [
    (128, 128, 2, 2, [4, 3]),
    (128, 64, 2, 1, [4, 3]),
    (64, 64, 1, 1, [4]),
]

# The stage-count structs of Int8Kernels/Gemm/MmaStages.cs.
STAGE_TYPES = {3: "MmaStages3", 4: "MmaStages4"}


def log2(x):
    r = x.bit_length() - 1
    assert 1 << r == x
    return r


def class_name(tm, tn, stages, first, conv):
    if conv:
        return f"ConvMma{tm}x{tn}" + ("" if first else f"S{stages}")
    return f"GemmMmaTn{tm}x{tn}"


def variant_name(tm, tn, stages, conv):
    if conv:
        return f"conv_s8_nhwc_mma_implicit_gemm_{tm}x{tn}x{STAGE_K}_s{stages}"
    return f"gemm_s8s8s32_tn_mma_{tm}x{tn}x{STAGE_K}_s{stages}"


def generate(tm, tn, wm_count, wn_count, variants, conv=False, flt=False):
    """One file: the kernel of a tile shape (generic in TStages) inside the class of the first variant, and a class per
    other stage count. variants: [(stages, prefers_full_wave)]. flt: the floating-point kernel (FP16 or TF32 inputs
    by the IFloatMmaKind type parameter, float accumulators) in a static class with a kernel selector instead."""
    threads = wm_count * wn_count * 32
    assert tm == 64 * wm_count and tn == 64 * wn_count
    rows_per_pass = threads // 8          # rows one round of 16-byte copies covers (8 chunks a row)
    copies_a = tm // rows_per_pass
    copies_b = tn // rows_per_pass
    stage_bytes = (tm + tn) * STAGE_K
    lds = tn + 8                           # epilogue staging row stride in int32 (8 ints of padding)
    passes = tm * tn // 4 // threads
    cls = float_class_name(tm, tn, conv) if flt else class_name(tm, tn, variants[0][0], True, conv)
    q = "GemmMmaTn." if conv or flt else ""      # qualifier of the shared helpers
    acc_t = "float" if flt else "int"
    zero = "0f" if flt else "0"

    out = []
    w = out.append

    def scopy(i, base=0):
        # Row ldRow + rows_per_pass·i; its swizzle key (row & 7) differs from ldRow's when rows_per_pass < 8 (one warp).
        j = (rows_per_pass * i) % 8
        return f"sCopy{j or ''} + {base + (rows_per_pass * i - j) * STAGE_K}"

    def issue(indent, k_index, stage_off):
        p = " " * indent
        w(p + "{")
        w(p + f"    // Stage of k bytes [{STAGE_K}·kt, {STAGE_K}·kt + {STAGE_K}) for kt = {k_index}: A then B rows, this thread's chunk of every {rows_per_pass}th row.")
        w(p + f"    int kLeftT = kLeft - ({STAGE_K} * ({k_index}));")
        w(p + f"    long kOff = {STAGE_K}L * ({k_index});")
        if conv:
            w(p + "    long gb = bOff + kOff;")
        else:
            w(p + "    long ga = aOff + kOff, gb = bOff + kOff;")
        w(p + "    int kb = GemmMmaTn.CopyBytes(kLeftT);")
        if conv:
            w(p + "    // This thread's chunk k = kBase + 128·kt lies in filter tap (r, s) = (rs / S, rs mod S), rs = k / C, channel c = k mod C.")
            w(p + f"    ConvMma.Tap(kBase + ({STAGE_K} * ({k_index})), c.G, out int dr, out int ds, out int tapOff);")
        for i in range(copies_a):
            if conv:
                w(p + f"    long row{i} = table[rowInfo + {rows_per_pass * i}];")
                w(p + f"    int na{i} = ConvMma.GatherBytes((int)row{i}, dr, ds, kb, c.G);")
                w(p + f"    ops.Copy16(smem, sbase, {stage_off} + {scopy(i)}, a, aAddress, ConvMma.GatherOffset((int)(row{i} >> 32), tapOff, na{i}), na{i});")
                continue
            w(p + f"    ops.Copy16(smem, sbase, {stage_off} + {scopy(i)}, a, aAddress, ga, GemmMmaTn.IfRowInside(kb, aRows, {rows_per_pass * i}));")
            if i + 1 < copies_a:
                w(p + "    ga += aStep;")
        for i in range(copies_b):
            w(p + f"    ops.Copy16(smem, sbase, {stage_off} + {scopy(i, tm * STAGE_K)}, b, bAddress, gb, GemmMmaTn.IfRowInside(kb, bRows, {rows_per_pass * i}));")
            if i + 1 < copies_b:
                w(p + "    gb += bStep;")
        w(p + "}")

    def frags(indent, s, ks, read):
        p = " " * indent
        w(p + f"// fragments of k step {ks} into set {s}")
        w(p + f"ak = {read} + (aLane ^ {32 * ks});")
        w(p + f"bk = {read} + (bLane ^ {32 * ks});")
        for i in range(4):
            regs = ", ".join(f"out a{s}_{i}_{r}" for r in range(4))
            w(p + f"ops.LdMatrixX4(smem, sbase, ak + {i * 16 * STAGE_K}, {regs});")
        for j in range(4):
            regs = ", ".join(f"out b{s}_{j}_{r}" for r in range(4))
            w(p + f"ops.LdMatrixX4(smem, sbase, bk + {j * 16 * STAGE_K}, {regs});")
        if flt:
            w(p + "if (kind.ElementBytes == 4)")
            w(p + "{")
            w(p + "    // TF32: round the FP32 operands to nearest (ties away), as cuBLAS does; the tensor core truncates.")
            for x in "ab":
                for i in range(4):
                    w(p + "    " + " ".join(f"{x}{s}_{i}_{r} = kind.Prepare({x}{s}_{i}_{r});" for r in range(4)))
            w(p + "}")

    def mmas(indent, s):
        p = " " * indent
        w(p + f"// 32 MMAs on set {s} (serpentine over the n8 tiles)")
        for i in range(4):
            order = range(8) if i % 2 == 0 else reversed(range(8))
            for jj in order:
                c = ", ".join(f"ref c{i}_{jj}_{r}" for r in range(4))
                av = ", ".join(f"a{s}_{i}_{r}" for r in range(4))
                bv = f"b{s}_{jj >> 1}_{2 * (jj & 1)}, b{s}_{jj >> 1}_{2 * (jj & 1) + 1}"
                w(p + (f"kind.Mma(ops, {c}, {av}, {bv});" if flt else f"ops.Mma({c}, {av}, {bv});"))

    kind_tp = "TKind, " if flt else ""

    def kernel_body(w):
        w("")
        w("    /// <summary>")
        if flt:
            w(f"    /// One {tm}×{tn} tile of C: acc[m][n] = Σ_k A[m][k]·B[n][k] in FP32 with FP16 (m16n8k16) or TF32 (m16n8k8) MMAs")
            w("    /// (<typeparamref name=\"TKind\"/>; K, Lda and Ldb of the arguments in bytes, 32 bytes a k step); warp (wm, wn) owns rows")
        else:
            w(f"    /// One {tm}×{tn} tile of C: acc[m][n] = Σ_k A[m][k]·B[n][k] with m16n8k32 MMAs; warp (wm, wn) owns rows")
        w("    /// 64·wm.. and columns 64·wn..; lane (g = lane &gt;&gt; 2, t = lane &amp; 3) holds, for m16 tile i and n8 tile j,")
        w("    /// C[16i + g (+8)][8j + 2t (+1)]. Global addresses are <paramref name=\"aAddress\"/>/<paramref name=\"bAddress\"/>")
        w("    /// plus byte offsets; the views are what the emulated instructions read (<typeparamref name=\"TOps\"/>).")
        w(f"    /// K runs through a ring of S = <typeparamref name=\"TStages\"/> stages of {stage_bytes} bytes (S − 1 in flight).")
        if conv:
            w("    /// For the convolution, A row m is output pixel m = (n·P + p)·Q + q and A is the NHWC activation <paramref name=\"a\"/>;")
            w("    /// B is the KRSC weights (row stride Ldb), C is the NHWC output [N·P·Q][K].")
            w("    /// </summary>")
            w(f"    internal static void Kernel<TStages, TOps, {kind_tp}TEpilogue>(long aAddress, long bAddress, ArrayView<sbyte> a, ArrayView<sbyte> b, ConvMma.Args c, TEpilogue epilogue)")
        else:
            w("    /// </summary>")
            w(f"    internal static void Kernel<TStages, TOps, {kind_tp}TEpilogue>(long aAddress, long bAddress, ArrayView<sbyte> a, ArrayView<sbyte> b, {q}Args p, TEpilogue epilogue)")
        w("        where TStages : struct, IMmaStages")
        w("        where TOps : struct, ITensorCoreOps")
        if flt:
            w("        where TKind : struct, IFloatMmaKind")
        w("        where TEpilogue : struct, IGemmEpilogue")
        w("    {")
        if conv:
            w("        var p = c.Gemm;")
        w("        var smem = SharedMemory.GetDynamic<int>();")
        w("        var ops = default(TOps);")
        if flt:
            w("        var kind = default(TKind);")
        w("        var pipe = default(TStages);")
        w(f"        // Stages in flight ahead of the one being read, and the byte offset of the ring's last stage ({stage_bytes} bytes a stage).")
        w("        int ahead = pipe.Count - 1;")
        w(f"        int lastStage = ahead * {stage_bytes};")
        w("        uint sbase = ops.DynamicSharedBase();")
        w("        int tid = Group.IdxX;")
        w("        int lane = tid & 31, warp = tid >> 5;")
        w(f"        int wm = warp >> {log2(wn_count)}, wn = warp & {wn_count - 1};")
        if conv:
            w("        // Split-K: block b computes tile b mod (TilesM·TilesN) over k tiles [split·TilesPerSplit, +TilesPerSplit) ∩ [0, KTiles),")
            w("        // split = b / (TilesM·TilesN) (one split: the whole of K).")
            w("        int tiles = p.TilesM * p.TilesN;")
            w("        int split = Grid.IdxX / tiles;")
            w("        int kStart = split * c.TilesPerSplit;")
            w("        int kTiles = IntrinsicMath.Min(c.TilesPerSplit, p.KTiles - kStart);")
            w(f"        {q}TileOf(Grid.IdxX - (split * tiles), p, out int tileM, out int tileN);")
        else:
            w(f"        {q}TileOf(Grid.IdxX, p, out int tileM, out int tileN);")
        w(f"        int blockRow = tileM * {tm}, blockCol = tileN * {tn};")
        w("")
        w(f"        // Copies: this thread moves 16-byte chunk (tid & 7) of rows (tid >> 3) + {rows_per_pass}·i, stored at chunk ^ (row & 7).")
        w("        int ldRow = tid >> 3, ldChunk = tid & 7;")
        w(f"        int sCopy = (ldRow * {STAGE_K}) + ((ldChunk ^ (ldRow & 7)) << 4);")
        if rows_per_pass < 8:
            w(f"        int sCopy4 = ((ldRow + 4) * {STAGE_K}) + ((ldChunk ^ ((ldRow + 4) & 7)) << 4);")
        if conv:
            w("        int bRows = p.N - blockCol - ldRow;")
            w(f"        long bOff = ((long)(blockCol + ldRow) * p.Ldb) + (ldChunk * 16) + ({STAGE_K}L * kStart);")
            w(f"        long bStep = {rows_per_pass}L * p.Ldb;")
            w(f"        int kLeft = p.K - (ldChunk * 16) - ({STAGE_K} * kStart), kBase = (ldChunk * 16) + ({STAGE_K} * kStart);")
            w("")
            w(f"        // Pixel table after the pipeline: for tile row i, (h0 << 16 | w0 & 0xFFFF, ((n·H + h0)·W + w0)·C) at ints S·{stage_bytes // 4} + 2i")
            w("        // (h0 = p·sh − ph, w0 = q·sw − pw; rows past M get h0 = −32768, outside every image).")
            w(f"        int tableInts = pipe.Count * {stage_bytes // 4};")
            w(f"        for (int i = tid; i < {tm}; i += {threads})")
            w("        {")
            w(f"            ConvMma.RowInfo(blockRow + i, c.G, out int hw, out int rowBase);")
            w(f"            smem[tableInts + (2 * i)] = hw;")
            w(f"            smem[tableInts + (2 * i) + 1] = rowBase;")
            w("        }")
            w("")
            w("        Group.Barrier();")
            w(f"        var table = smem.SubView(tableInts, {2 * tm}).Cast<long>();")
            w("        int rowInfo = ldRow;")
        else:
            w("        int aRows = p.M - blockRow - ldRow, bRows = p.N - blockCol - ldRow;")
            w("        long aOff = ((long)(blockRow + ldRow) * p.Lda) + (ldChunk * 16);")
            w("        long bOff = ((long)(blockCol + ldRow) * p.Ldb) + (ldChunk * 16);")
            w(f"        long aStep = {rows_per_pass}L * p.Lda, bStep = {rows_per_pass}L * p.Ldb;")
            w("        int kLeft = p.K - (ldChunk * 16);")
        w("")
        w("        // Prologue: stages 0..S − 2 in flight, one commit group each.")
        w("        for (int s = 0; s < ahead; s++)")
        w("        {")
        w(f"            if (s < {'kTiles' if conv else 'p.KTiles'})")
        w("            {")
        issue(16, "s", f"(s * {stage_bytes})")
        w("            }")
        w("")
        w("            ops.CommitGroup();")
        w("        }")
        w("")
        w("        pipe.WaitOldest(ops);")
        w("        Group.Barrier();")
        w("")
        w("        // ldmatrix row addresses: A lane l → row 64·wm + (l & 15), chunk (l >> 4); B lane l → row 64·wn + (l & 7) + 8·(l >> 4),")
        w("        // chunk (l >> 3) & 1; both swizzled by (row & 7) = (l & 7). k step ks adds chunk 2·ks, i.e. XOR 32·ks on the offset.")
        w(f"        int aLane = (((64 * wm) + (lane & 15)) * {STAGE_K}) + (((lane >> 4) ^ (lane & 7)) << 4);")
        w(f"        int bLane = {tm * STAGE_K} + (((64 * wn) + (lane & 7) + ((lane >> 4) << 3)) * {STAGE_K}) + ((((lane >> 3) & 1) ^ (lane & 7)) << 4);")
        w("        int readOff = 0, writeOff = lastStage;")
        w("        int ak, bk;")
        for i in range(4):
            for jj in range(8):
                w(f"        {acc_t} " + ", ".join(f"c{i}_{jj}_{r} = {zero}" for r in range(4)) + ";")
        for s in range(2):
            w("        int " + ", ".join(f"a{s}_{i}_{r} = 0" for i in range(4) for r in range(4)) + ";")
            w("        int " + ", ".join(f"b{s}_{j}_{r} = 0" for j in range(4) for r in range(4)) + ";")
        frags(8, 0, 0, "readOff")
        w(f"        for (int kt = 0; kt < {'kTiles' if conv else 'p.KTiles'}; kt++)")
        w("        {")
        for ks in range(KSTEPS):
            s = ks % 2
            w(f"            // ---- k step {ks}: load step {(ks + 1) % KSTEPS} fragments while set {s} multiplies")
            if ks == KSTEPS - 1:
                w("            pipe.WaitOldest(ops);")
                w("            Group.Barrier();")
                w(f"            readOff = readOff == lastStage ? 0 : readOff + {stage_bytes};")
                w(f"            writeOff = writeOff == lastStage ? 0 : writeOff + {stage_bytes};")
            frags(12, 1 - s, (ks + 1) % KSTEPS, "readOff")
            if ks == 0:
                w(f"            if (kt + ahead < {'kTiles' if conv else 'p.KTiles'})")
                w("            {")
                issue(16, "kt + ahead", "writeOff")
                w("            }")
                w("")
                w("            ops.CommitGroup();")
            mmas(12, s)
            w("")
        w("        }")
        w("")
        w(f"        // Epilogue: stage the tile through shared memory as [{tm}][{lds}] {'float bits' if flt else 'int32'}, then 4 consecutive columns a thread.")
        w(f"        MmaTileEpilogue.{'StoreFloat' if flt else 'Store'}(ops, smem, ref epilogue, p, tid, lane, wm, wn, blockRow, blockCol, tileN: {tn}, threads: {threads}, passes: {passes}, colShift: {log2(tn // 4)},")
        accs = [f"c{i}_{jj}_{r}" for i in range(4) for jj in range(8) for r in range(4)]
        for line in range(16):
            end = ");" if line == 15 else ","
            w("            " + ", ".join(accs[8 * line:8 * line + 8]) + end)
        w("    }")

    w("// <auto-generated>")
    w("// Generated by Int8Kernels/gen/gen_mma_gemm.py; do not edit. Regenerate with:")
    w("//   python3 Int8Kernels/gen/gen_mma_gemm.py")
    w("// </auto-generated>")
    w("using ILGPU;")
    w("using ILGPUInt8.Kernels.Arch;")
    if conv:
        w("using ILGPUInt8.Kernels.Gemm;")
    w("")
    w("namespace ILGPUInt8.Kernels." + ("Convolution;" if conv else "Gemm;"))
    if flt:
        float_header(w, tm, tn, wm_count, wn_count, [st for st, _ in variants], conv, threads)
        kernel_body(w)
        w("}")
        return cls, "\n".join(out) + "\n"
    for index, (stages, prefers_full_wave) in enumerate(variants):
        vcls = class_name(tm, tn, stages, index == 0, conv)
        name = variant_name(tm, tn, stages, conv)
        w("")
        w("/// <summary>")
        if conv:
            w(f"/// Tensor-core implicit-GEMM convolution <c>{name}</c>: {tm}×{tn} tiles of (output pixels × output channels),")
            w(f"/// {threads // 32} warp(s) ({wm_count}×{wn_count}) of 64×64, K = R·S·C in {STAGE_K}-byte stages through a {stages}-stage cp.async")
            w(f"/// pipeline, A gathered from the NHWC activation (see <see cref=\"ConvMma\"/> and <see cref=\"GemmMmaTn\"/>).")
        else:
            w(f"/// Tensor-core GEMM <c>{name}</c>: {tm}×{tn} block tiles, {threads // 32} warps ({wm_count}×{wn_count}) of 64×64,")
            w(f"/// K in {STAGE_K}-byte stages through a {stages}-stage cp.async pipeline (see <see cref=\"GemmMmaTn\"/>).")
        if index:
            w(f"/// The kernel is <see cref=\"{cls}\"/>'s with <see cref=\"{STAGE_TYPES[stages]}\"/>.")
        w("/// </summary>")
        w(f"internal sealed class {vcls} : {'ConvMma' if conv else 'GemmMmaTn'}")
        w("{")
        w("    /// <summary>Creates the variant (<paramref name=\"allowCpuAccelerator\"/>: also on the CPU accelerator, for tests).</summary>")
        w(f"    public {vcls}(bool allowCpuAccelerator = false)")
        w("        : base(allowCpuAccelerator)")
        w("    {")
        w("    }")
        w("")
        w("    /// <inheritdoc />")
        w(f"    public override string Name => \"{name}\";")
        w("")
        w("    /// <inheritdoc />")
        w(f"    public override int TileM => {tm};")
        w("")
        w("    /// <inheritdoc />")
        w(f"    public override int TileN => {tn};")
        w("")
        w("    /// <inheritdoc />")
        w(f"    public override int Stages => {stages};")
        w("")
        if prefers_full_wave:
            w("    /// <inheritdoc />")
            w("    public override bool PrefersFullWave => true;")
            w("")
        kernel_ref = "Kernel" if index == 0 else f"{cls}.Kernel"
        st = STAGE_TYPES[stages]
        w("    /// <inheritdoc />")
        w(f"    internal override Action<long, long, ArrayView<sbyte>, ArrayView<sbyte>, {'ConvMma.' if conv else ''}Args, TEpilogue> KernelFor<TEpilogue>(bool ptx) =>")
        w(f"        ptx ? {kernel_ref}<{st}, PtxTensorCore, TEpilogue> : {kernel_ref}<{st}, EmulatedTensorCore, TEpilogue>;")
        if index == 0:
            kernel_body(w)
        w("}")
    return cls, "\n".join(out) + "\n"


def float_class_name(tm, tn, conv):
    return f"{'ConvMmaFloat' if conv else 'GemmMmaFloat'}{tm}x{tn}"


def float_header(w, tm, tn, wm_count, wn_count, stages, conv, threads):
    """The static class of a floating-point kernel: its constants and the selector of the kernel instantiation."""
    cls = float_class_name(tm, tn, conv)
    args = "ConvMma.Args" if conv else "GemmMmaTn.Args"
    w("")
    w("/// <summary>")
    what = "implicit-GEMM convolution (A gathered from the NHWC activation, see <see cref=\"ConvMma\"/>)" if conv else "GEMM C = A·Bᵀ"
    w(f"/// Floating-point tensor-core {what}: {tm}×{tn} block tiles, {threads // 32} warp(s) ({wm_count}×{wn_count}) of 64×64,")
    w(f"/// {STAGE_K} bytes of K a stage through an S-stage cp.async pipeline (S in {{{', '.join(map(str, stages))}}}), FP16 or TF32 inputs")
    w("/// (<see cref=\"IFloatMmaKind\"/>), FP32 accumulators finished by an <see cref=\"IGemmEpilogue\"/> that reads them as float bits.")
    w("/// The pipeline and layout are those of <see cref=\"GemmMmaTn\"/> (byte-for-byte: the fragments of m16n8k16 FP16 and")
    w("/// m16n8k8 TF32 occupy the bytes of m16n8k32 int8's).")
    w("/// </summary>")
    w(f"internal static class {cls}")
    w("{")
    w("    /// <summary>Rows of C a block computes.</summary>")
    w(f"    public const int TileM = {tm};")
    w("")
    w("    /// <summary>Columns of C a block computes.</summary>")
    w(f"    public const int TileN = {tn};")
    w("")
    w("    /// <summary>Threads a block.</summary>")
    w(f"    public const int Threads = {threads};")
    w("")
    w("    /// <summary>The pipeline depths this tile has kernels for (the first is the default).</summary>")
    w(f"    public static readonly int[] Stages = [{', '.join(map(str, stages))}];")
    w("")
    w("    /// <summary>The kernel for a pipeline depth (one of <see cref=\"Stages\"/>), input kind and epilogue: PTX or emulated.</summary>")
    w(f"    internal static Action<long, long, ArrayView<sbyte>, ArrayView<sbyte>, {args}, TEpilogue> KernelFor<TKind, TEpilogue>(int stages, bool ptx)")
    w("        where TKind : struct, IFloatMmaKind")
    w("        where TEpilogue : struct, IGemmEpilogue =>")
    w("        (stages, ptx) switch")
    w("        {")
    for st in stages:
        stt = STAGE_TYPES[st]
        w(f"            ({st}, true) => Kernel<{stt}, PtxTensorCore, TKind, TEpilogue>,")
        w(f"            ({st}, false) => Kernel<{stt}, EmulatedTensorCore, TKind, TEpilogue>,")
    w(f"            _ => throw new ArgumentOutOfRangeException(nameof(stages), stages, \"{cls} has kernels for {', '.join(map(str, stages))} stages.\"),")
    w("        };")


def generate_epilogue():
    """The shared epilogue: this thread's 128 accumulators of its 64×64 warp tile -> the shared staging tile -> the
    IGemmEpilogue, 4 consecutive columns a thread. The tile constants are parameters that ILGPU folds after inlining."""
    out = []
    w = out.append
    accs = [f"c{i}_{jj}_{r}" for i in range(4) for jj in range(8) for r in range(4)]
    w("// <auto-generated>")
    w("// Generated by Int8Kernels/gen/gen_mma_gemm.py; do not edit. Regenerate with:")
    w("//   python3 Int8Kernels/gen/gen_mma_gemm.py")
    w("// </auto-generated>")
    w("using System.Runtime.CompilerServices;")
    w("using ILGPU;")
    w("using ILGPUInt8.Kernels.Arch;")
    w("using ILGPUInt8.Kernels.Quantization;")
    w("")
    w("namespace ILGPUInt8.Kernels.Gemm;")
    w("")
    w("/// <summary>")
    w("/// The epilogue every tensor-core GEMM and convolution kernel ends with (<see cref=\"GemmMmaTn\"/>, <c>ConvMma</c>):")
    w("/// the block's accumulators, held as m16n8 fragments by each warp's lanes, are staged through shared memory so that")
    w("/// each thread then finishes 4 consecutive columns with coalesced stores.")
    w("/// </summary>")
    w("internal static class MmaTileEpilogue")
    w("{")
    for name, t in (("Store", "int"), ("StoreFloat", "float")):
        if t == "float":
            w("")
            w("    /// <summary>")
            w("    /// <see cref=\"Store\"/> for float accumulators (the FP16 and TF32 kernels): the staging tile holds their bits")
            w("    /// (<c>Interop.FloatAsInt</c>, a register move), and the epilogue receives them as int32 bit patterns")
            w("    /// (<see cref=\"FloatBitsEpilogue{TInner}\"/> turns them back into floats).")
            w("    /// </summary>")
        else:
            w("    /// <summary>")
            w("    /// Waits for every copy, then writes this thread's accumulators of warp tile (<paramref name=\"wm\"/>,")
            w("    /// <paramref name=\"wn\"/>) to the staging tile [TileM][lds = <paramref name=\"tileN\"/> + 8] int32: lane")
            w("    /// (g = lane &gt;&gt; 2, t = lane &amp; 3) holds cI_J_R = C[64·wm + 16I + g + 8(R &gt;&gt; 1)][64·wn + 8J + 2t + (R &amp; 1)]")
            w("    /// (m16 tile I, n8 tile J, register R). After a barrier, pass k (of <paramref name=\"passes\"/>) reads Int4 idx =")
            w("    /// k·<paramref name=\"threads\"/> + tid: row idx &gt;&gt; <paramref name=\"colShift\"/> (= log2(TileN / 4)),")
            w("    /// columns 4·(idx mod TileN / 4) .. +3, and applies the epilogue to those inside M × N (<see cref=\"GemmMmaTn.Finish{TEpilogue}(ref TEpilogue, GemmMmaTn.Args, int, int, int, int, int, int)\"/>);")
            w("    /// with all four columns inside N (and threads a multiple of TileN / 4, so that they are the thread's in every pass) the")
            w("    /// columns' parameters are read once (<see cref=\"IGemmEpilogue.LoadColumns4\"/>).")
            w("    /// An epilogue with an int8 operand (<see cref=\"IGemmEpilogue.Operand\"/>) gets its tile [TileM][TileN] copied by")
            w("    /// cp.async behind the staging tile (byte TileM·lds·4, TileM = passes·threads·4 / TileN) before the staging stores, and")
            w("    /// each pass reads its 4 operand bytes as one shared int (<see cref=\"OperandTile\"/>).")
            w("    /// The tile constants are literals at every call, so ILGPU folds them into immediate offsets after inlining.")
            w("    /// </summary>")
        w("    [MethodImpl(MethodImplOptions.AggressiveInlining)]")
        w(f"    internal static void {name}<TOps, TEpilogue>(TOps ops, ArrayView<int> smem, ref TEpilogue epilogue, GemmMmaTn.Args p, int tid, int lane, int wm, int wn, int blockRow, int blockCol, int tileN, int threads, int passes, int colShift,")
        for line in range(16):
            end = ")" if line == 15 else ","
            w("        " + ", ".join(f"{t} " + c for c in accs[8 * line:8 * line + 8]) + end)
        w("        where TOps : struct, ITensorCoreOps")
        w("        where TEpilogue : struct, IGemmEpilogue")
        w("    {")
        w("        int lds = tileN + 8;")
        w("        ops.WaitAll();")
        w("        Group.Barrier();")
        w("        // The pipeline is free: copy the block's tile of the epilogue's int8 operand (a residual's skip) behind the")
        w("        // staging tile with cp.async, so that its load latency overlaps the staging stores below, once a block.")
        w("        int tileM = passes * threads * 4 / tileN;")
        w("        int at = tileM * lds * 4;")
        w("        var operand = epilogue.Operand;")
        w("        bool prefetch = OperandTile.Prefetches(operand);")
        w("        if (prefetch)")
        w("        {")
        w("            OperandTile.Copy(smem, ops.DynamicSharedBase(), at, operand, p, blockRow, blockCol, tileM, tileN, tid, threads);")
        w("        }")
        w("")
        w("        int e = (((64 * wm) + (lane >> 2)) * lds) + (64 * wn) + (2 * (lane & 3));")
        for i in range(4):
            for jj in range(8):
                for r in range(4):
                    rows = 16 * i + 8 * (r >> 1)
                    col = 8 * jj + (r & 1)
                    if rows == 0:
                        off = f"{col}"
                    elif col == 0:
                        off = f"({rows} * lds)"
                    else:
                        off = f"(({rows} * lds) + {col})"
                    v = f"(int)Interop.FloatAsInt(c{i}_{jj}_{r})" if t == "float" else f"c{i}_{jj}_{r}"
                    w(f"        smem[e + {off}] = {v};")
        w("        if (prefetch)")
        w("        {")
        w("            ops.WaitAll();")
        w("        }")
        w("")
        w("        Group.Barrier();")
        w("        var tile4 = smem.Cast<Int4>();")
        w("        int mask = (1 << colShift) - 1;")
        w("        int column = blockCol + (4 * (tid & mask));")
        w("        if (column + 3 < p.N && (threads & mask) == 0)")
        w("        {")
        w("            // threads is a multiple of TileN / 4, so a thread's four columns are the same in every pass: their")
        w("            // parameters are read once (IGemmEpilogue.LoadColumns4), not once a pass.")
        w("            int col4 = tid & mask;")
        w("            var columns = epilogue.LoadColumns4(column);")
        w("            bool hasOperand = operand.View.Length > 0;")
        w("            for (int pass = 0; pass < passes; pass++)")
        w("            {")
        w("                int row = ((pass * threads) + tid) >> colShift;")
        w("                if (blockRow + row < p.M)")
        w("                {")
        w("                    Int4 v = tile4[(row * (lds >> 2)) + col4];")
        w("                    int packed = prefetch ? smem[(at >> 2) + (row << colShift) + col4] : hasOperand ? operand.Read4(blockRow + row, column) : 0;")
        w("                    epilogue.Apply4(blockRow + row, column, columns, v.X, v.Y, v.Z, v.W, packed);")
        w("                }")
        w("            }")
        w("")
        w("            return;")
        w("        }")
        w("")
        w("        for (int pass = 0; pass < passes; pass++)")
        w("        {")
        w("            int idx = (pass * threads) + tid;")
        w("            int row = idx >> colShift, col4 = idx & ((1 << colShift) - 1);")
        w("            Int4 v = tile4[(row * (lds >> 2)) + col4];")
        w("            if (prefetch)")
        w("            {")
        w("                // Operand bytes (row, 4·col4 .. +3) of the tile [TileM][TileN] at byte `at`: int (at / 4) + row·TileN / 4 + col4.")
        w("                GemmMmaTn.Finish(ref epilogue, p, blockRow + row, blockCol + (4 * col4), v.X, v.Y, v.Z, v.W, smem[(at >> 2) + (row << colShift) + col4]);")
        w("            }")
        w("            else")
        w("            {")
        w("                GemmMmaTn.Finish(ref epilogue, p, blockRow + row, blockCol + (4 * col4), v.X, v.Y, v.Z, v.W);")
        w("            }")
        w("        }")
        w("    }")
    w("}")
    return "\n".join(out) + "\n"


# Persistent convolution tiles (TileM, TileN, warps along M, [stages]): narrow N (TileN = 64, one warp column), the whole
# weight tile resident in shared memory, one cp.async ring of A running across the block's tiles. Extra outputs: they
# leave every file above unchanged.
PERSISTENT_CONFIGS = [
    (128, 64, 2, [4, 3]),
]


def mma_lines(p, s):
    """The 32 MMAs of a 64×64 warp tile on fragment set s (serpentine over the n8 tiles), as in generate's mmas."""
    lines = [p + f"// 32 MMAs on set {s} (serpentine over the n8 tiles)"]
    for i in range(4):
        order = range(8) if i % 2 == 0 else reversed(range(8))
        for jj in order:
            c = ", ".join(f"ref c{i}_{jj}_{r}" for r in range(4))
            av = ", ".join(f"a{s}_{i}_{r}" for r in range(4))
            bv = f"b{s}_{jj >> 1}_{2 * (jj & 1)}, b{s}_{jj >> 1}_{2 * (jj & 1) + 1}"
            lines.append(p + f"ops.Mma({c}, {av}, {bv});")
    return lines


def generate_persistent(tm, tn, wm_count, stages):
    """The persistent implicit-GEMM convolution kernel of one tile shape (generic in TStages) in a static class."""
    threads = wm_count * 32
    assert tm == 64 * wm_count and tn == 64
    rows_per_pass = threads // 8
    assert rows_per_pass == 8, "the pixel-table split assumes 8 rows a copy pass (2 warps)"
    copies_a = tm // rows_per_pass
    copies_b = tn // rows_per_pass
    a_stage = tm * STAGE_K
    b_stage = tn * STAGE_K
    cls = f"ConvMmaPersistent{tm}x{tn}"
    out = []
    w = out.append

    def issue(p, first):
        w(p + "{")
        w(p + "    if (pkt == 0)")
        w(p + "    {")
        w(p + f"        // A new row tile pm: the 8 threads of copy row ldRow (one warp) write its {copies_a} table rows ldRow + {rows_per_pass}·i,")
        w(p + f"        // i = ldChunk and ldChunk + 8, between two barriers (no thread still reads the previous tile's entries).")
        if first:
            w(p + "        Group.Barrier();")
        for h in range(copies_a // 8):
            w(p + f"        int tr{h} = ldRow + ({rows_per_pass} * (ldChunk + {8 * h}));")
            w(p + f"        ConvMma.RowInfo((pm * {tm}) + tr{h}, c.G, out int hw{h}, out int rowBase{h});")
            w(p + f"        smem[tableInts + (2 * tr{h})] = hw{h};")
            w(p + f"        smem[tableInts + (2 * tr{h}) + 1] = rowBase{h};")
        w(p + "        Group.Barrier();")
        w(p + "    }")
        w("")
        w(p + f"    // A stage of k bytes [{STAGE_K}·pkt, +{STAGE_K}) of row tile pm: this thread's chunk of every {rows_per_pass}th row.")
        w(p + f"    int kb = GemmMmaTn.CopyBytes(kLeft - ({STAGE_K} * pkt));")
        w(p + "    // This thread's chunk k = kBase + 128·pkt lies in filter tap (r, s) = (rs / S, rs mod S), rs = k / C, channel c = k mod C.")
        w(p + f"    ConvMma.Tap(kBase + ({STAGE_K} * pkt), c.G, out int dr, out int ds, out int tapOff);")
        for i in range(copies_a):
            w(p + f"    long row{i} = table[ldRow + {rows_per_pass * i}];")
            w(p + f"    int na{i} = ConvMma.GatherBytes((int)row{i}, dr, ds, kb, c.G);")
            w(p + f"    ops.Copy16(smem, sbase, writeOff + sCopy + {rows_per_pass * i * STAGE_K}, a, aAddress, ConvMma.GatherOffset((int)(row{i} >> 32), tapOff, na{i}), na{i});")
        w(p + "    pkt++;")
        w(p + "    if (pkt == kTiles)")
        w(p + "    {")
        w(p + "        pkt = 0;")
        w(p + "        pm += gridM;")
        w(p + "    }")
        w(p + "}")

    def frags(p, s, ks):
        w(p + f"// fragments of k step {ks} into set {s}: A from the ring, B from the resident weights")
        w(p + f"ak = readOff + (aLane ^ {32 * ks});")
        w(p + f"bk = bRead + (bLane ^ {32 * ks});")
        for i in range(4):
            regs = ", ".join(f"out a{s}_{i}_{r}" for r in range(4))
            w(p + f"ops.LdMatrixX4(smem, sbase, ak + {i * 16 * STAGE_K}, {regs});")
        for j in range(4):
            regs = ", ".join(f"out b{s}_{j}_{r}" for r in range(4))
            w(p + f"ops.LdMatrixX4(smem, sbase, bk + {j * 16 * STAGE_K}, {regs});")

    accs = [f"c{i}_{jj}_{r}" for i in range(4) for jj in range(8) for r in range(4)]
    w("// <auto-generated>")
    w("// Generated by Int8Kernels/gen/gen_mma_gemm.py; do not edit. Regenerate with:")
    w("//   python3 Int8Kernels/gen/gen_mma_gemm.py")
    w("// </auto-generated>")
    w("using ILGPU;")
    w("using ILGPUInt8.Kernels.Arch;")
    w("using ILGPUInt8.Kernels.Gemm;")
    w("")
    w("namespace ILGPUInt8.Kernels.Convolution;")
    w("")
    w("/// <summary>")
    w(f"/// The persistent tensor-core convolution kernel of <see cref=\"ConvMmaPersistent\"/>: {tm}×{tn} tiles, {wm_count} warps of 64×64")
    w(f"/// (along M), S-stage cp.async ring of A ({a_stage} bytes a stage), the block's whole weight tile resident in shared memory.")
    w("/// </summary>")
    w(f"internal static class {cls}")
    w("{")
    w("    /// <summary>Output pixels a tile.</summary>")
    w(f"    public const int TileM = {tm};")
    w("")
    w("    /// <summary>Output channels a tile.</summary>")
    w(f"    public const int TileN = {tn};")
    w("")
    w("    /// <summary>Threads a block.</summary>")
    w(f"    public const int Threads = {threads};")
    w("")
    w("    /// <summary>Bytes of one A stage of the ring (TileM rows of 128 bytes).</summary>")
    w(f"    public const int AStageBytes = {a_stage};")
    w("")
    w("    /// <summary>Bytes of one resident 128-byte k tile of the weights (TileN rows of 128 bytes).</summary>")
    w(f"    public const int BStageBytes = {b_stage};")
    w("")
    w("    /// <summary>The pipeline depths this tile has kernels for.</summary>")
    w(f"    public static readonly int[] Stages = [{', '.join(map(str, stages))}];")
    w("")
    w("    /// <summary>The kernel for a pipeline depth (one of <see cref=\"Stages\"/>) and epilogue: PTX or emulated.</summary>")
    w("    internal static Action<long, long, ArrayView<sbyte>, ArrayView<sbyte>, ConvMma.Args, TEpilogue> KernelFor<TEpilogue>(int stages, bool ptx)")
    w("        where TEpilogue : struct, IGemmEpilogue =>")
    w("        (stages, ptx) switch")
    w("        {")
    for st in stages:
        stt = STAGE_TYPES[st]
        w(f"            ({st}, true) => Kernel<{stt}, PtxTensorCore, TEpilogue>,")
        w(f"            ({st}, false) => Kernel<{stt}, EmulatedTensorCore, TEpilogue>,")
    w(f"            _ => throw new ArgumentOutOfRangeException(nameof(stages), stages, \"{cls} has kernels for {', '.join(map(str, stages))} stages.\"),")
    w("        };")
    w("")
    w("    /// <summary>")
    w(f"    /// Block b keeps column tile b mod TilesN and walks row tiles m = b / TilesN, + GridM, … &lt; TilesM (GridM = gridDim /")
    w("    /// TilesN): its tiles × KTiles stages are one stream of iterations, and the ring of S = <typeparamref name=\"TStages\"/>")
    w("    /// A stages runs through it without a break, so the gathers of the next tile's first stages are in flight while this")
    w("    /// tile's last stages multiply and its epilogue runs. The weights [TileN][K] are copied once, k tile kt at")
    w(f"    /// S·{a_stage} + kt·{b_stage} (same XOR swizzle), then the pixel table of the tile being loaded ({tm} × 8 bytes).")
    w("    /// The epilogue needs no shared memory: partner lanes (t, t ^ 1) swap halves of their fragments so that each lane")
    w("    /// holds 4 consecutive columns of one row (<see cref=\"MmaFragmentEpilogue\"/>).")
    w("    /// </summary>")
    w("    internal static void Kernel<TStages, TOps, TEpilogue>(long aAddress, long bAddress, ArrayView<sbyte> a, ArrayView<sbyte> b, ConvMma.Args c, TEpilogue epilogue)")
    w("        where TStages : struct, IMmaStages")
    w("        where TOps : struct, ITensorCoreOps")
    w("        where TEpilogue : struct, IGemmEpilogue")
    w("    {")
    w("        var p = c.Gemm;")
    w("        var smem = SharedMemory.GetDynamic<int>();")
    w("        var ops = default(TOps);")
    w("        var pipe = default(TStages);")
    w(f"        // Stages in flight ahead of the one being read, and the byte offset of the ring's last stage ({a_stage} bytes a stage).")
    w("        int ahead = pipe.Count - 1;")
    w(f"        int lastStage = ahead * {a_stage};")
    w("        uint sbase = ops.DynamicSharedBase();")
    w("        int tid = Group.IdxX;")
    w("        int lane = tid & 31, wm = tid >> 5;")
    w("")
    w("        // Schedule: gridDim = GridM·TilesN; this block's row tiles firstM + j·GridM, j < ⌈(TilesM − firstM) / GridM⌉,")
    w("        // iterations = its tiles · KTiles.")
    w("        int gridM = Grid.DimX / p.TilesN;")
    w("        int firstM = Grid.IdxX / p.TilesN;")
    w(f"        int blockCol = (Grid.IdxX - (firstM * p.TilesN)) * {tn};")
    w("        int kTiles = p.KTiles;")
    w("        int iters = (p.TilesM - firstM + gridM - 1) / gridM * kTiles;")
    w(f"        int bRegion = pipe.Count * {a_stage};")
    w(f"        int tableInts = (bRegion + (kTiles * {b_stage})) >> 2;")
    w(f"        var table = smem.SubView(tableInts, {2 * tm}).Cast<long>();")
    w("")
    w(f"        // Copies: this thread moves 16-byte chunk (tid & 7) of rows (tid >> 3) + {rows_per_pass}·i, stored at chunk ^ (row & 7).")
    w("        int ldRow = tid >> 3, ldChunk = tid & 7;")
    w(f"        int sCopy = (ldRow * {STAGE_K}) + ((ldChunk ^ (ldRow & 7)) << 4);")
    w("        int kLeft = p.K - (ldChunk * 16), kBase = ldChunk * 16;")
    w("")
    w("        // The weights, once: k tile kt of rows blockCol + ldRow + 8·i, in the first commit group (with stage 0).")
    w("        int bRows = p.N - blockCol - ldRow;")
    w("        long bOff = ((long)(blockCol + ldRow) * p.Ldb) + (ldChunk * 16);")
    w(f"        long bStep = {rows_per_pass}L * p.Ldb;")
    w("        for (int kt = 0; kt < kTiles; kt++)")
    w("        {")
    w(f"            int kbB = GemmMmaTn.CopyBytes(kLeft - ({STAGE_K} * kt));")
    w(f"            long gb = bOff + ({STAGE_K}L * kt);")
    w(f"            int sb = bRegion + (kt * {b_stage}) + sCopy;")
    for i in range(copies_b):
        w(f"            ops.Copy16(smem, sbase, sb + {rows_per_pass * i * STAGE_K}, b, bAddress, gb, GemmMmaTn.IfRowInside(kbB, bRows, {rows_per_pass * i}));")
        if i + 1 < copies_b:
            w("            gb += bStep;")
    w("        }")
    w("")
    w("        // Producer cursor: row tile pm, k tile pkt of the next stage to issue, into ring slot writeOff.")
    w("        int pm = firstM, pkt = 0, writeOff = 0;")
    w("")
    w("        // Prologue: stages 0..S − 2 of the stream in flight (they may cross into the next tiles), one commit group each.")
    w("        for (int s = 0; s < ahead; s++)")
    w("        {")
    w("            if (s < iters)")
    issue(" " * 12, True)
    w("")
    w("            ops.CommitGroup();")
    w(f"            writeOff += {a_stage};")
    w("        }")
    w("")
    w("        pipe.WaitOldest(ops);")
    w("        Group.Barrier();")
    w("")
    w("        // ldmatrix row addresses: A lane l → row 64·wm + (l & 15), chunk (l >> 4); B lane l → row (l & 7) + 8·(l >> 4),")
    w("        // chunk (l >> 3) & 1; both swizzled by (row & 7) = (l & 7). k step ks adds chunk 2·ks, i.e. XOR 32·ks on the offset.")
    w(f"        int aLane = (((64 * wm) + (lane & 15)) * {STAGE_K}) + (((lane >> 4) ^ (lane & 7)) << 4);")
    w(f"        int bLane = bRegion + (((lane & 7) + ((lane >> 4) << 3)) * {STAGE_K}) + ((((lane >> 3) & 1) ^ (lane & 7)) << 4);")
    w("        // Consumer cursor: ring slot readOff, resident k tile bRead = ckt·" + str(b_stage) + ", row tile cm.")
    w("        int readOff = 0, bRead = 0, ckt = 0, cm = firstM;")
    w("        int ak, bk;")
    for i in range(4):
        for jj in range(8):
            w("        int " + ", ".join(f"c{i}_{jj}_{r} = 0" for r in range(4)) + ";")
    for s in range(2):
        w("        int " + ", ".join(f"a{s}_{i}_{r} = 0" for i in range(4) for r in range(4)) + ";")
        w("        int " + ", ".join(f"b{s}_{j}_{r} = 0" for j in range(4) for r in range(4)) + ";")
    frags(" " * 8, 0, 0)
    w("        for (int it = 0; it < iters; it++)")
    w("        {")
    for ks in range(KSTEPS):
        s = ks % 2
        w(f"            // ---- k step {ks}: load step {(ks + 1) % KSTEPS} fragments while set {s} multiplies")
        if ks == KSTEPS - 1:
            w("            pipe.WaitOldest(ops);")
            w("            Group.Barrier();")
            w(f"            readOff = readOff == lastStage ? 0 : readOff + {a_stage};")
            w(f"            writeOff = writeOff == lastStage ? 0 : writeOff + {a_stage};")
            w(f"            bRead = ckt + 1 == kTiles ? 0 : bRead + {b_stage};")
        frags(" " * 12, 1 - s, (ks + 1) % KSTEPS)
        if ks == 0:
            w("            if (it + ahead < iters)")
            issue(" " * 12, False)
            w("")
            w("            ops.CommitGroup();")
        out.extend(mma_lines(" " * 12, s))
        w("")
    w("            if (ckt + 1 < kTiles)")
    w("            {")
    w("                ckt++;")
    w("                continue;")
    w("            }")
    w("")
    w("            // Tile cm is complete: its epilogue from the fragments (the next tile's stages keep loading), then zeroed sums.")
    w(f"            MmaFragmentEpilogue.Store(ref epilogue, p, lane, (cm * {tm}) + (64 * wm), blockCol,")
    for line in range(16):
        end = ");" if line == 15 else ","
        w("                " + ", ".join(accs[8 * line:8 * line + 8]) + end)
    for i in range(4):
        for jj in range(0, 8, 2):
            w("            " + " = ".join(f"c{i}_{j2}_{r}" for j2 in (jj, jj + 1) for r in range(4)) + " = 0;")
    w("            ckt = 0;")
    w("            cm += gridM;")
    w("        }")
    w("    }")
    w("}")
    return cls, "\n".join(out) + "\n"


def generate_fragment_epilogue():
    """The epilogue straight from the mma fragments (no shared staging): partner lanes swap halves with one shuffle pair
    per m16n8 tile so that each lane finishes 4 consecutive columns of one row."""
    out = []
    w = out.append
    accs = [f"c{i}_{jj}_{r}" for i in range(4) for jj in range(8) for r in range(4)]
    w("// <auto-generated>")
    w("// Generated by Int8Kernels/gen/gen_mma_gemm.py; do not edit. Regenerate with:")
    w("//   python3 Int8Kernels/gen/gen_mma_gemm.py")
    w("// </auto-generated>")
    w("using System.Runtime.CompilerServices;")
    w("using ILGPU;")
    w("")
    w("namespace ILGPUInt8.Kernels.Gemm;")
    w("")
    w("/// <summary>")
    w("/// An epilogue from the accumulator fragments of one 64×64 warp tile without shared memory (the persistent convolution,")
    w("/// whose shared memory holds the next tile's pipeline while it runs). Lane (g = lane &gt;&gt; 2, t = lane &amp; 3) holds")
    w("/// cI_J_R = C[16I + g + 8(R &gt;&gt; 1)][8J + 2t + (R &amp; 1)]; per m16n8 tile, lanes t and t ^ 1 swap two values so that an even")
    w("/// t holds row g, columns 2t .. 2t + 3 (its c0, c1 and the partner's c0, c1) and an odd t row g + 8, columns 2t − 2 ..")
    w("/// 2t + 1 (the partner's c2, c3 and its own): row 16I + g + 8(t &amp; 1), column 8J + 4(t &gt;&gt; 1), 4 consecutive columns as")
    w("/// <see cref=\"GemmMmaTn.Finish{TEpilogue}(ref TEpilogue, GemmMmaTn.Args, int, int, int, int, int, int)\"/> takes them.")
    w("/// </summary>")
    w("internal static class MmaFragmentEpilogue")
    w("{")
    w("    /// <summary>Finishes warp tile rows <paramref name=\"row0\"/>.. +63, columns <paramref name=\"col0\"/>.. +63 (those inside M × N).</summary>")
    w("    [MethodImpl(MethodImplOptions.AggressiveInlining)]")
    w("    internal static void Store<TEpilogue>(ref TEpilogue epilogue, GemmMmaTn.Args p, int lane, int row0, int col0,")
    for line in range(16):
        end = ")" if line == 15 else ","
        w("        " + ", ".join("int " + c for c in accs[8 * line:8 * line + 8]) + end)
    w("        where TEpilogue : struct, IGemmEpilogue")
    w("    {")
    w("        bool odd = (lane & 1) != 0;")
    w("        int row = row0 + (lane >> 2) + ((lane & 1) << 3);")
    w("        int col = col0 + ((lane & 2) << 1);")
    w("        int x, y;")
    for i in range(4):
        for jj in range(8):
            c0, c1, c2, c3 = (f"c{i}_{jj}_{r}" for r in range(4))
            w(f"        x = Warp.ShuffleXor(odd ? {c0} : {c2}, 1);")
            w(f"        y = Warp.ShuffleXor(odd ? {c1} : {c3}, 1);")
            w(f"        GemmMmaTn.Finish(ref epilogue, p, row + {16 * i}, col + {8 * jj}, odd ? x : {c0}, odd ? y : {c1}, odd ? {c2} : x, odd ? {c3} : y);")
    w("    }")
    w("}")
    return "\n".join(out) + "\n"


def main():
    jobs = [(OUT_DIR, cfg, False) for cfg in CONFIGS]
    jobs += [(CONV_DIR, (tm, tn, wm, wn, [(st, False) for st in stages]), True) for tm, tn, wm, wn, stages in CONV_CONFIGS]
    jobs = [(folder, cfg, conv, False) for folder, cfg, conv in jobs]
    jobs += [(OUT_DIR, (tm, tn, wm, wn, [(st, False) for st in stages]), False, True) for tm, tn, wm, wn, stages in FLOAT_CONFIGS]
    jobs += [(CONV_DIR, (tm, tn, wm, wn, [(st, False) for st in stages]), True, True) for tm, tn, wm, wn, stages in FLOAT_CONV_CONFIGS]
    written = []
    for folder, cfg, conv, flt in jobs:
        cls, text = generate(*cfg, conv=conv, flt=flt)
        written.append((os.path.join(folder, f"{cls}.Generated.cs"), text))
    written.append((os.path.join(OUT_DIR, "MmaTileEpilogue.Generated.cs"), generate_epilogue()))
    for tm, tn, wm, stages in PERSISTENT_CONFIGS:
        cls, text = generate_persistent(tm, tn, wm, stages)
        written.append((os.path.join(CONV_DIR, f"{cls}.Generated.cs"), text))
    written.append((os.path.join(OUT_DIR, "MmaFragmentEpilogue.Generated.cs"), generate_fragment_epilogue()))
    for path, text in written:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        print(f"wrote {os.path.relpath(path)}")


if __name__ == "__main__":
    main()
