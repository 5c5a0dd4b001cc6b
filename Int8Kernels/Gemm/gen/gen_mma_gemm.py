#!/usr/bin/env python3
"""Generates the unrolled tensor-core (mma.sync m16n8k32) GEMM kernels, one C# file per block tile shape, and the
implicit-GEMM convolution kernels that share their pipeline:

    python3 Int8Kernels/Gemm/gen/gen_mma_gemm.py    (writes Int8Kernels/Gemm/GemmMmaTn*.Generated.cs and
                                                      Int8Kernels/Convolution/ConvMma*.Generated.cs)

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
OUT_DIR = os.path.dirname(HERE)
CONV_DIR = os.path.join(os.path.dirname(OUT_DIR), "Convolution")

# (TileM, TileN, warps along M, warps along N, stages, leaves problems of fewer tiles than SMs to the next variant)
CONFIGS = [
    (128, 256, 2, 4, 3, True),
    (128, 128, 2, 2, 4, False),
]

# Convolution tiles (TileM, TileN, warps along M, warps along N, stages): 128×64 for K = 64 layers, 64×64 (one warp)
# for the emulated CPU tests; 3 stages let two 128×128 blocks (three 128×64) share a multiprocessor, 4 give one (two).
CONV_CONFIGS = [
    (128, 128, 2, 2, 4),
    (128, 64, 2, 1, 4),
    (64, 64, 1, 1, 4),
    (128, 128, 2, 2, 3),
    (128, 64, 2, 1, 3),
]


def log2(x):
    r = x.bit_length() - 1
    assert 1 << r == x
    return r


def generate(tm, tn, wm_count, wn_count, stages, prefers_full_wave, conv=False):
    threads = wm_count * wn_count * 32
    assert tm == 64 * wm_count and tn == 64 * wn_count
    rows_per_pass = threads // 8          # rows one round of 16-byte copies covers (8 chunks a row)
    copies_a = tm // rows_per_pass
    copies_b = tn // rows_per_pass
    stage_bytes = (tm + tn) * STAGE_K
    lds = tn + 8                           # epilogue staging row stride in int32 (8 ints of padding)
    passes = tm * tn // 4 // threads
    cls = (f"ConvMma{tm}x{tn}" + ("" if stages == 4 else f"S{stages}")) if conv else f"GemmMmaTn{tm}x{tn}"
    name = f"conv_s8_nhwc_mma_implicit_gemm_{tm}x{tn}x{STAGE_K}_s{stages}" if conv else f"gemm_s8s8s32_tn_mma_{tm}x{tn}x{STAGE_K}_s{stages}"
    table = stages * stage_bytes // 4      # conv: int offset of the per-row pixel table (2 ints a row) after the pipeline
    q = "GemmMmaTn." if conv else ""      # qualifier of the shared helpers
    wait = \
        {3: "WaitGroup1", 4: "WaitGroup2", 5: "WaitGroup3"}[stages]

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

    def mmas(indent, s):
        p = " " * indent
        w(p + f"// 32 MMAs on set {s} (serpentine over the n8 tiles)")
        for i in range(4):
            order = range(8) if i % 2 == 0 else reversed(range(8))
            for jj in order:
                c = ", ".join(f"ref c{i}_{jj}_{r}" for r in range(4))
                av = ", ".join(f"a{s}_{i}_{r}" for r in range(4))
                bv = f"b{s}_{jj >> 1}_{2 * (jj & 1)}, b{s}_{jj >> 1}_{2 * (jj & 1) + 1}"
                w(p + f"ops.Mma({c}, {av}, {bv});")

    w("// <auto-generated>")
    w("// Generated by Int8Kernels/Gemm/gen/gen_mma_gemm.py; do not edit. Regenerate with:")
    w("//   python3 Int8Kernels/Gemm/gen/gen_mma_gemm.py")
    w("// </auto-generated>")
    w("using ILGPU;")
    w("using ILGPUInt8.Kernels.Arch;")
    if conv:
        w("using ILGPUInt8.Kernels.Gemm;")
    w("using ILGPUInt8.Kernels.Quantization;")
    w("")
    if conv:
        w("namespace ILGPUInt8.Kernels.Convolution;")
        w("")
        w(f"/// <summary>")
        w(f"/// Tensor-core implicit-GEMM convolution <c>{name}</c>: {tm}×{tn} tiles of (output pixels × output channels),")
        w(f"/// {threads // 32} warp(s) ({wm_count}×{wn_count}) of 64×64, K = R·S·C in {STAGE_K}-byte stages through a {stages}-stage cp.async")
        w(f"/// pipeline, A gathered from the NHWC activation (see <see cref=\"ConvMma\"/> and <see cref=\"GemmMmaTn\"/>).")
        w(f"/// </summary>")
        w(f"public sealed class {cls} : ConvMma")
    else:
        w("namespace ILGPUInt8.Kernels.Gemm;")
        w("")
        w(f"/// <summary>")
        w(f"/// Tensor-core GEMM <c>{name}</c>: {tm}×{tn} block tiles, {threads // 32} warps ({wm_count}×{wn_count}) of 64×64,")
        w(f"/// K in {STAGE_K}-byte stages through a {stages}-stage cp.async pipeline (see <see cref=\"GemmMmaTn\"/>).")
        w(f"/// </summary>")
        w(f"public sealed class {cls} : GemmMmaTn")
    w("{")
    w("    /// <summary>Creates the variant (<paramref name=\"allowCpuAccelerator\"/>: also on the CPU accelerator, for tests).</summary>")
    w(f"    public {cls}(bool allowCpuAccelerator = false)")
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
    w("    /// <inheritdoc />")
    w(f"    internal override Action<long, long, ArrayView<sbyte>, ArrayView<sbyte>, {'ConvMma.' if conv else ''}Args, TEpilogue> KernelFor<TEpilogue>(bool ptx) =>")
    w("        ptx ? Kernel<PtxTensorCore, TEpilogue> : Kernel<EmulatedTensorCore, TEpilogue>;")
    w("")
    w("    /// <summary>")
    w(f"    /// One {tm}×{tn} tile of C: acc[m][n] = Σ_k A[m][k]·B[n][k] with m16n8k32 MMAs; warp (wm, wn) owns rows")
    w("    /// 64·wm.. and columns 64·wn..; lane (g = lane &gt;&gt; 2, t = lane &amp; 3) holds, for m16 tile i and n8 tile j,")
    w("    /// C[16i + g (+8)][8j + 2t (+1)]. Global addresses are <paramref name=\"aAddress\"/>/<paramref name=\"bAddress\"/>")
    w("    /// plus byte offsets; the views are what the emulated instructions read (<typeparamref name=\"TOps\"/>).")
    if conv:
        w("    /// For the convolution, A row m is output pixel m = (n·P + p)·Q + q and A is the NHWC activation <paramref name=\"a\"/>;")
        w("    /// B is the KRSC weights (row stride Ldb), C is the NHWC output [N·P·Q][K].")
        w("    /// </summary>")
        w("    internal static void Kernel<TOps, TEpilogue>(long aAddress, long bAddress, ArrayView<sbyte> a, ArrayView<sbyte> b, ConvMma.Args c, TEpilogue epilogue)")
    else:
        w("    /// </summary>")
        w("    internal static void Kernel<TOps, TEpilogue>(long aAddress, long bAddress, ArrayView<sbyte> a, ArrayView<sbyte> b, Args p, TEpilogue epilogue)")
    w("        where TOps : struct, ITensorCoreOps")
    w("        where TEpilogue : struct, IGemmEpilogue")
    w("    {")
    if conv:
        w("        var p = c.Gemm;")
    w("        var smem = SharedMemory.GetDynamic<int>();")
    w("        var ops = default(TOps);")
    w("        uint sbase = ops.DynamicSharedBase();")
    w("        int tid = Group.IdxX;")
    w("        int lane = tid & 31, warp = tid >> 5;")
    w(f"        int wm = warp >> {log2(wn_count)}, wn = warp & {wn_count - 1};")
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
        w("        long bOff = ((long)(blockCol + ldRow) * p.Ldb) + (ldChunk * 16);")
        w(f"        long bStep = {rows_per_pass}L * p.Ldb;")
        w("        int kLeft = p.K - (ldChunk * 16), kBase = ldChunk * 16;")
        w("")
        w(f"        // Pixel table after the pipeline: for tile row i, (h0 << 16 | w0 & 0xFFFF, ((n·H + h0)·W + w0)·C) at ints {table} + 2i")
        w("        // (h0 = p·sh − ph, w0 = q·sw − pw; rows past M get h0 = −32768, outside every image).")
        w(f"        for (int i = tid; i < {tm}; i += {threads})")
        w("        {")
        w(f"            ConvMma.RowInfo(blockRow + i, c.G, out int hw, out int rowBase);")
        w(f"            smem[{table} + (2 * i)] = hw;")
        w(f"            smem[{table} + (2 * i) + 1] = rowBase;")
        w("        }")
        w("")
        w("        Group.Barrier();")
        w(f"        var table = smem.SubView({table}, {2 * tm}).Cast<long>();")
        w("        int rowInfo = ldRow;")
    else:
        w("        int aRows = p.M - blockRow - ldRow, bRows = p.N - blockCol - ldRow;")
        w("        long aOff = ((long)(blockRow + ldRow) * p.Lda) + (ldChunk * 16);")
        w("        long bOff = ((long)(blockCol + ldRow) * p.Ldb) + (ldChunk * 16);")
        w(f"        long aStep = {rows_per_pass}L * p.Lda, bStep = {rows_per_pass}L * p.Ldb;")
        w("        int kLeft = p.K - (ldChunk * 16);")
    w("")
    w(f"        // Prologue: stages 0..{stages - 2} in flight, one commit group each.")
    w(f"        for (int s = 0; s < {stages - 1}; s++)")
    w("        {")
    w("            if (s < p.KTiles)")
    w("            {")
    issue(16, "s", f"(s * {stage_bytes})")
    w("            }")
    w("")
    w("            ops.CommitGroup();")
    w("        }")
    w("")
    w(f"        ops.{wait}();")
    w("        Group.Barrier();")
    w("")
    w("        // ldmatrix row addresses: A lane l → row 64·wm + (l & 15), chunk (l >> 4); B lane l → row 64·wn + (l & 7) + 8·(l >> 4),")
    w("        // chunk (l >> 3) & 1; both swizzled by (row & 7) = (l & 7). k step ks adds chunk 2·ks, i.e. XOR 32·ks on the offset.")
    w(f"        int aLane = (((64 * wm) + (lane & 15)) * {STAGE_K}) + (((lane >> 4) ^ (lane & 7)) << 4);")
    w(f"        int bLane = {tm * STAGE_K} + (((64 * wn) + (lane & 7) + ((lane >> 4) << 3)) * {STAGE_K}) + ((((lane >> 3) & 1) ^ (lane & 7)) << 4);")
    w(f"        int readOff = 0, writeOff = {(stages - 1) * stage_bytes};")
    w("        int ak, bk;")
    for i in range(4):
        for jj in range(8):
            w("        int " + ", ".join(f"c{i}_{jj}_{r} = 0" for r in range(4)) + ";")
    for s in range(2):
        w("        int " + ", ".join(f"a{s}_{i}_{r} = 0" for i in range(4) for r in range(4)) + ";")
        w("        int " + ", ".join(f"b{s}_{j}_{r} = 0" for j in range(4) for r in range(4)) + ";")
    frags(8, 0, 0, "readOff")
    w("        for (int kt = 0; kt < p.KTiles; kt++)")
    w("        {")
    for ks in range(KSTEPS):
        s = ks % 2
        w(f"            // ---- k step {ks}: load step {(ks + 1) % KSTEPS} fragments while set {s} multiplies")
        if ks == KSTEPS - 1:
            w(f"            ops.{wait}();")
            w("            Group.Barrier();")
            w(f"            readOff = readOff == {(stages - 1) * stage_bytes} ? 0 : readOff + {stage_bytes};")
            w(f"            writeOff = writeOff == {(stages - 1) * stage_bytes} ? 0 : writeOff + {stage_bytes};")
        frags(12, 1 - s, (ks + 1) % KSTEPS, "readOff")
        if ks == 0:
            w(f"            if (kt + {stages - 1} < p.KTiles)")
            w("            {")
            issue(16, f"kt + {stages - 1}", "writeOff")
            w("            }")
            w("")
            w("            ops.CommitGroup();")
        mmas(12, s)
        w("")
    w("        }")
    w("")
    w(f"        // Epilogue: stage the tile through shared memory as [{tm}][{lds}] int32, then 4 consecutive columns a thread.")
    w("        ops.WaitAll();")
    w("        Group.Barrier();")
    w(f"        int e = (((64 * wm) + (lane >> 2)) * {lds}) + (64 * wn) + (2 * (lane & 3));")
    for i in range(4):
        for jj in range(8):
            for r in range(4):
                off = (16 * i + 8 * (r >> 1)) * lds + 8 * jj + (r & 1)
                w(f"        smem[e + {off}] = c{i}_{jj}_{r};")
    w("        Group.Barrier();")
    w("        var tile4 = smem.Cast<Int4>();")
    w(f"        for (int pass = 0; pass < {passes}; pass++)")
    w("        {")
    w(f"            int idx = (pass * {threads}) + tid;")
    w(f"            int row = idx >> {log2(tn // 4)}, col4 = idx & {tn // 4 - 1};")
    w(f"            Int4 v = tile4[(row * {lds // 4}) + col4];")
    w(f"            {q}Finish(ref epilogue, p, blockRow + row, blockCol + (4 * col4), v.X, v.Y, v.Z, v.W);")
    w("        }")
    w("    }")
    w("}")
    return cls, "\n".join(out) + "\n"


def main():
    jobs = [(OUT_DIR, cfg, False) for cfg in CONFIGS] + [(CONV_DIR, cfg + (False,), True) for cfg in CONV_CONFIGS]
    for folder, cfg, conv in jobs:
        cls, text = generate(*cfg, conv=conv)
        path = os.path.join(folder, f"{cls}.Generated.cs")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        print(f"wrote {os.path.relpath(path)}")


if __name__ == "__main__":
    main()
