using System.Diagnostics;
using System.Reflection;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using ILGPUInt8.Calibration.IO;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Perf.Harness;
using Ops = ILGPUInt8.Kernels.Ops;

namespace ILGPUInt8.Perf.Benchmarks;

/// <summary>
/// Not a timing: writes the PTX that ILGPU generates for every generated GEMM and convolution kernel (sm_90, ISA 8.8,
/// O2, as on the H200) into <c>--out DIR/ptx</c> (default ./ptx; <c>--only TEXT</c> keeps names containing TEXT),
/// and, where <c>ptxas</c> is on the PATH (or <c>--ptxas PATH</c>), its register and spill report and the SASS
/// instruction mix (<c>cuobjdump</c> beside it).
/// Works without a GPU, so kernels can be inspected on any machine, and a change to the generators
/// (Int8Kernels/gen) is checked by dumping before it (<c>dotnet run -c Release --project Perf -- ptx --out OLD</c>)
/// and after it with <c>--compare OLD</c>: each kernel is then reported identical, equal up to register renaming, or
/// different with its instruction-count changes (<see cref="PtxCompare"/>).
/// </summary>
public sealed class PtxBenchmark : IBenchmark
{
    /// <inheritdoc />
    public string Name => "ptx";

    /// <inheritdoc />
    public string Description => "dump PTX (and ptxas -v / SASS counts when ptxas is found) of the GEMM and conv kernels (wgmma ones for sm_90a); no timing";

    /// <inheritdoc />
    public void Run(BenchContext context)
    {
        var dir = Path.Combine(context.Option("out", "."), "ptx");
        Directory.CreateDirectory(dir);
        using var ptxContext = Context.Create(b => Int8Device.Configure(b.Cuda().Optimize(OptimizationLevel.O2)));
        using var backend = new PTXBackend(ptxContext, new CudaCapabilityContext(CudaArchitecture.SM_90), CudaArchitecture.SM_90, CudaInstructionSet.ISA_88, null);
        string only = context.Option("only", string.Empty);
        string compare = context.Option("compare", string.Empty);
        var verdicts = new List<string>();
        var kernels = Kernels().Select(k => (k.Name, k.Method, k.Specialization, Implicit: false))
            .Concat(Ops.HalfStorageKernels.All().Select(k => (k.Name, k.Method, Specialization: default(KernelSpecialization), Implicit: true)));
        foreach (var (name, method, specialization, implicitlyGrouped) in kernels.Where(k => k.Name.Contains(only, StringComparison.Ordinal)))
        {
            var entry = implicitlyGrouped ? EntryPointDescription.FromImplicitlyGroupedKernel(method) : EntryPointDescription.FromExplicitlyGroupedKernel(method);
            var compiled = (PTXCompiledKernel)backend.Compile(entry, specialization);
            var path = Path.Combine(dir, name + ".ptx");
            // The tensor-core kernels are loaded through the rewrite of ILGPU's inline-asm output slots (as at run time).
            // The wgmma kernels also through the sm_90a rewrite (PtxSm90aPass).
            bool wgmma = name.Contains("_wgmma_", StringComparison.Ordinal);
            var ptx = wgmma ? PtxSm90aPass.Rewrite(PtxLocalSlotPass.Rewrite(compiled.PTXAssembly))
                : name.Contains("_mma_", StringComparison.Ordinal) ? PtxLocalSlotPass.Rewrite(compiled.PTXAssembly) : compiled.PTXAssembly;
            var version = context.Option("ptx-version", string.Empty);
            if (version.Length > 0)
            {
                // For an older local ptxas: the kernels use no instruction newer than ISA 7.x.
                ptx = System.Text.RegularExpressions.Regex.Replace(ptx, @"\.version \d+\.\d+", ".version " + version);
            }

            AtomicFile.WriteAllText(path, ptx);
            Console.WriteLine($"  ptx {name}: {ptx.Length} chars, {Summary(ptx)} -> {path}");
            if (compare.Length > 0)
            {
                // A dump of the same kernel from another build (e.g. before a generator change).
                var old = Path.Combine(compare, "ptx", name + ".ptx");
                var oldPtx = File.Exists(old) ? File.ReadAllText(old) : null;
                var verdict = oldPtx is null ? "DIFFERS: no earlier dump" : PtxCompare.Verdict(oldPtx, ptx);
                verdicts.Add(verdict.Split(':')[0]);
                Console.WriteLine($"    vs {old}: {verdict}" + (oldPtx is null || Summary(oldPtx) == Summary(ptx) ? string.Empty : $"; counts were {Summary(oldPtx)}"));
            }

            Ptxas(context, path, wgmma ? "sm_90a" : "sm_90");
        }

        if (compare.Length > 0)
        {
            Console.WriteLine("  compared with " + compare + ": " + string.Join(", ", verdicts.GroupBy(v => v).Select(g => $"{g.Count()} {g.Key}")));
        }
    }

    // The instruction counts that matter for the hot loops (tensor-core kernels after the local-slot rewrite).
    private static string Summary(string ptx) =>
        $"{Count(ptx, "dp4a.")} dp4a, {Count(ptx, "mma.sync")} mma.sync, {Count(ptx, "wgmma.mma_async")} wgmma, {Count(ptx, "cp.async.cg")} cp.async, {Count(ptx, "ld.shared.v4")} ld.shared.v4, "
        + $"{Count(ptx, "ld.global.v4")} ld.global.v4, {Count(ptx, "ld.local")} ld.local, {Count(ptx, "st.local")} st.local";

    /// <summary>
    /// Every generated kernel as it is loaded at run time, found through the variants' own kernel selectors (so the
    /// names stay stable when the generator's layout changes): the dp4a GEMM tiles and the dp4a convolution tiles with
    /// each A loader, with the int32 and requantize epilogues; every tensor-core GEMM and convolution variant (all
    /// tile shapes and stage counts) with the same two epilogues, the FP16/TF32 implicit-GEMM convolution tiles with FP32 and
    /// FP16 output, and the persistent convolution with those and the residual one.
    /// </summary>
    internal static IEnumerable<(string Name, MethodInfo Method, KernelSpecialization Specialization)> Kernels()
    {
        foreach (var tile in Dp4aTile.All)
        {
            var bounds = GemmDp4aTiled.LaunchBounds(tile);
            yield return ($"gemm_dp4a_{tile.Name}_int32", GemmDp4aTiled.KernelFor<Int32Epilogue>(tile).Method, bounds);
            yield return ($"gemm_dp4a_{tile.Name}_requant", GemmDp4aTiled.KernelFor<RequantizeEpilogue>(tile).Method, bounds);
            yield return ($"conv_dp4a_{tile.Name}_nhwc16_int32", ConvDp4aImplicitGemm.KernelFor<NhwcChunkLoader, Int32Epilogue>(tile).Method, bounds);
            yield return ($"conv_dp4a_{tile.Name}_nhwc16_requant", ConvDp4aImplicitGemm.KernelFor<NhwcChunkLoader, RequantizeEpilogue>(tile).Method, bounds);
            yield return ($"conv_dp4a_{tile.Name}_nhwc4_requant", ConvDp4aImplicitGemm.KernelFor<NhwcWordLoader, RequantizeEpilogue>(tile).Method, bounds);
            yield return ($"conv_dp4a_{tile.Name}_vectc_requant", ConvDp4aImplicitGemm.KernelFor<VectCWordLoader, RequantizeEpilogue>(tile).Method, bounds);
        }

        foreach (var gemm in Instances<GemmMmaTn>())
        {
            yield return (gemm.Name + "_int32", gemm.KernelFor<Int32Epilogue>(ptx: true).Method, default);
            yield return (gemm.Name + "_requant", gemm.KernelFor<RequantizeEpilogue>(ptx: true).Method, default);
        }

        foreach (var tileN in new[] { 256, 128 })
        {
            var wgmma = new GemmWgmmaTn(tileN);
            yield return (wgmma.Name + "_int32", GemmWgmmaTn.KernelFor<Int32Epilogue>(tileN, ptx: true).Method, default);
            yield return (wgmma.Name + "_requant", GemmWgmmaTn.KernelFor<RequantizeEpilogue>(tileN, ptx: true).Method, default);
            yield return (wgmma.Name + "_residual", GemmWgmmaTn.KernelFor<ResidualRequantizeEpilogue>(tileN, ptx: true).Method, default);
            var tma = new GemmWgmmaTn(tileN, tma: true);
            yield return (tma.Name + "_int32", GemmWgmmaTn.TmaKernelFor<Int32Epilogue>(tileN, ptx: true).Method, default);
            yield return (tma.Name + "_requant", GemmWgmmaTn.TmaKernelFor<RequantizeEpilogue>(tileN, ptx: true).Method, default);
        }

        foreach (var conv in Instances<ConvMma>())
        {
            yield return (conv.Name + "_int32", conv.KernelFor<Int32Epilogue>(ptx: true).Method, default);
            yield return (conv.Name + "_requant", conv.KernelFor<RequantizeEpilogue>(ptx: true).Method, default);
        }

        foreach (var gemm in GemmMmaFloat.All(FloatMmaInput.Fp16).Concat(GemmMmaFloat.All(FloatMmaInput.Tf32)))
        {
            // The floating-point mma.sync GEMM (the FP16/TF32 engine's im2col path and fully connected layers).
            yield return (gemm.Name + "_f32out", gemm.KernelFor<FloatBitsEpilogue<FloatOutEpilogue>>(ptx: true).Method, default);
        }

        foreach (var input in new[] { FloatMmaInput.Fp16, FloatMmaInput.Tf32 })
        {
            // The floating-point implicit-GEMM convolution: every mma.sync tile and stage count, FP32 and FP16 output.
            foreach (var (m, n, stages) in new[] { (128, 128, 4), (128, 128, 3), (128, 64, 4), (128, 64, 3), (64, 64, 4) })
            {
                var conv = new ConvMmaFloat(input, m, n, stages);
                yield return (conv.Name + "_f32out", conv.KernelFor<FloatBitsEpilogue<FloatOutEpilogue>>(ptx: true).Method, default);
                yield return (conv.Name + "_f16out", conv.KernelFor<FloatBitsEpilogue<HalfOutEpilogue>>(ptx: true).Method, default);
            }
        }

        foreach (var (tileN, stages) in new[] { (256, 0), (128, 0), (128, 3), (64, 0), (64, 4) })
        {
            // The FP16 wgmma convolution (ConvWgmma's kernel with the FP16 ops), FP16 output.
            var conv = new ConvWgmmaFloat(tileN, stages);
            yield return (conv.Name + "_f16out", ConvWgmmaFloat.KernelFor<FloatBitsEpilogue<HalfOutEpilogue>>(conv.TileN, conv.Stages, ptx: true).Method, default);
        }

        foreach (var tileN in new[] { 64, 128 })
        {
            // The TMA-fed convolution (im2col boxes), one tile a block and persistent; the FP16 one on the same kernel.
            var tma = new ConvWgmmaTma(tileN);
            yield return (tma.Name + "_requant", ConvWgmmaTma.KernelFor<RequantizeEpilogue>(tileN, ptx: true).Method, default);
            var persistent = new ConvWgmmaTma(tileN, persistent: true);
            yield return (persistent.Name + "_requant", ConvWgmmaTma.PersistentKernelFor<RequantizeEpilogue>(tileN, ptx: true).Method, default);
            yield return (persistent.Name + "_residual", ConvWgmmaTma.PersistentKernelFor<RequantizeSumEpilogue>(tileN, ptx: true).Method, default);
            var f16 = new ConvWgmmaFloat(tileN, tma: true);
            yield return (f16.Name + "_f16out", ConvWgmmaFloat.TmaKernelFor<FloatBitsEpilogue<HalfOutEpilogue>>(tileN, ptx: true).Method, default);
        }

        foreach (var stages in ConvMmaPersistent128x64.Stages)
        {
            // The persistent convolution: its epilogue works from the fragments, so the residual one is its own code path.
            var name = new ConvMmaPersistent(stages).Name;
            yield return (name + "_int32", ConvMmaPersistent128x64.KernelFor<Int32Epilogue>(stages, ptx: true).Method, default);
            yield return (name + "_requant", ConvMmaPersistent128x64.KernelFor<RequantizeEpilogue>(stages, ptx: true).Method, default);
            yield return (name + "_residual", ConvMmaPersistent128x64.KernelFor<RequantizeSumEpilogue>(stages, ptx: true).Method, default);
        }

        // The stem fold (one thread a folded pixel on a 3-D grid).
        yield return ("stem_fold_s8", ((Action<ArrayView<int>, Ops.FoldArgs, Ops.S8NhwcSource>)Ops.StemFold.Kernel).Method, default);

        // The halo-tile convolution (stride 1; its taps are descriptor shifts of one shared-memory halo).
        var halo = new ConvWgmmaHalo().Name;
        yield return (halo + "_int32", ((Action<long, long, ArrayView<sbyte>, ArrayView<sbyte>, ArrayView<int>, ConvWgmmaHalo.Args, Int32Epilogue>)ConvWgmmaHalo.Kernel<PtxWgmmaN64, Int32Epilogue>).Method, default);
        yield return (halo + "_requant", ((Action<long, long, ArrayView<sbyte>, ArrayView<sbyte>, ArrayView<int>, ConvWgmmaHalo.Args, RequantizeEpilogue>)ConvWgmmaHalo.Kernel<PtxWgmmaN64, RequantizeEpilogue>).Method, default);
    }

    // One instance of every concrete subclass of T in the kernels assembly (each generated tile shape and stage count).
    private static IEnumerable<T> Instances<T>() =>
        typeof(T).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(T)) && !t.IsAbstract && t.GetConstructor([typeof(bool)]) is not null)
            .OrderBy(t => t.Name, StringComparer.Ordinal)
            .Select(t => (T)Activator.CreateInstance(t, [false])!);

    private static int Count(string text, string what)
    {
        int n = 0;
        for (int i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal))
        {
            n++;
        }

        return n;
    }

    // ptxas -v (registers, spills) and a SASS opcode histogram, when the tools exist on this machine.
    private static void Ptxas(BenchContext context, string ptxPath, string arch)
    {
        var ptxas = context.Option("ptxas", "ptxas");
        var cubin = Path.ChangeExtension(ptxPath, ".cubin");
        var (rc, output) = Exec(ptxas, $"-arch={arch} -O3 -v -o \"{cubin}\" \"{ptxPath}\"");
        if (rc is null)
        {
            return;
        }

        AtomicFile.WriteAllText(Path.ChangeExtension(ptxPath, ".ptxas.txt"), output);
        Console.WriteLine("    " + string.Join("\n    ", output.Split('\n').Where(l => l.Contains("registers", StringComparison.Ordinal) || l.Contains("spill", StringComparison.Ordinal) || l.Contains("rror", StringComparison.Ordinal))));
        var cuobjdump = Path.Combine(Path.GetDirectoryName(ptxas) ?? string.Empty, "cuobjdump");
        var (rc2, sass) = Exec(File.Exists(cuobjdump) ? cuobjdump : "cuobjdump", $"-sass \"{cubin}\"");
        if (rc2 == 0)
        {
            AtomicFile.WriteAllText(Path.ChangeExtension(ptxPath, ".sass"), sass);
            var histogram = sass.Split('\n')
                .Select(l => l.Split("*/", 2) is [_, var rest] ? rest.Trim() : string.Empty)
                .Where(l => l.Length > 0 && !l.StartsWith('/') && !l.StartsWith('.'))
                .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Select(t => t[0].StartsWith('@') ? t[1] : t[0])
                .GroupBy(op => op).OrderByDescending(g => g.Count()).Take(14).Select(g => $"{g.Key} {g.Count()}");
            Console.WriteLine("    SASS: " + string.Join(", ", histogram));
        }
    }

    private static (int? ExitCode, string Output) Exec(string file, string arguments)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, stdout.Result + stderr);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return (null, string.Empty);
        }
    }
}
