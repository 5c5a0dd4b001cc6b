using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using ILGPU;
using ILGPU.Backends;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;

namespace ILGPUInt8.Kernels.Runtime;

/// <summary>
/// The PTX rewrite that lets a kernel use Hopper's architecture-specific instructions (<c>wgmma</c>, <c>setmaxnreg</c>),
/// applied after <see cref="PtxLocalSlotPass"/>. ILGPU 1.5.3 writes <c>.target sm_80</c> on the H200 (its capability
/// table stops there), and the driver's PTX JIT refuses wgmma under any target but <c>sm_90a</c>. Two edits:
/// <list type="number">
/// <item><c>.target sm_XX</c> becomes <c>.target sm_90a</c> (and a <c>.version</c> below 8.0, the first ISA with sm_90a,
/// becomes 8.0).</item>
/// <item>A kernel whose inline PTX names the wgmma accumulator registers <c>%waccN</c> (see
/// <c>Int8Kernels/gen/gen_wgmma_ptx.py</c>) gets their declaration, <c>.reg .b32 %wacc&lt;K&gt;;</c> with K one past the
/// highest N, as the first line of its body: ILGPU declares only the registers it allocates itself.</item>
/// </list>
/// Nothing else changes. Load only on devices of compute capability 9.0 (sm_90a code runs nowhere else).
/// </summary>
internal static partial class PtxSm90aPass
{
    /// <summary>The PTX with the sm_90a target and the wgmma accumulator declarations (see the class remarks).</summary>
    public static string Rewrite(string ptx)
    {
        ArgumentNullException.ThrowIfNull(ptx);
        var text = Target().Replace(ptx, ".target sm_90a", 1);
        text = Version().Replace(
            text,
            m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) < 8 ? ".version 8.0" : m.Value,
            1);
        int highest = -1;
        foreach (Match m in Accumulator().Matches(text))
        {
            highest = Math.Max(highest, int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
        }

        if (highest < 0)
        {
            return text;
        }

        // The body of the (only) entry starts at the first line that is just "{" after ".entry".
        var entry = EntryBody().Match(text);
        if (!entry.Success)
        {
            throw new InvalidOperationException("PtxSm90aPass: no .entry body found to declare the wgmma accumulators in.");
        }

        int at = entry.Index + entry.Length;
        return text[..at] + $"\t.reg .b32 %wacc<{highest + 1}>;\n" + text[at..];
    }

    /// <summary>
    /// Compiles an explicitly grouped kernel with ILGPU's PTX backend, applies <see cref="PtxLocalSlotPass.Rewrite"/> and
    /// this pass, loads it and returns a launcher on the default stream; <paramref name="dynamicSharedBytes"/> &gt; 48 KB
    /// also raises the kernel's dynamic shared memory limit.
    /// </summary>
    public static Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7> LoadStreamKernel<T1, T2, T3, T4, T5, T6, T7>(
        Accelerator accelerator, Action<T1, T2, T3, T4, T5, T6, T7> kernel, int dynamicSharedBytes)
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
        where T5 : struct
        where T6 : struct
        where T7 : struct
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ArgumentNullException.ThrowIfNull(kernel);
        var entry = EntryPointDescription.FromExplicitlyGroupedKernel(kernel.Method);
        var compiled = (PTXCompiledKernel)accelerator.GetBackend().Compile(entry, default(KernelSpecialization));
        var patched = Rewrite(PtxLocalSlotPass.Rewrite(compiled.PTXAssembly));
        var loaded = accelerator.LoadKernel(PtxLocalSlotPass.WithAssembly(compiled, patched));
        var launcher = loaded.CreateLauncherDelegate<Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4, T5, T6, T7>>();
        CudaFunctionAttributes.AllowDynamicSharedMemory(loaded, dynamicSharedBytes);
        return (config, a1, a2, a3, a4, a5, a6, a7) => launcher(accelerator.DefaultStream, config, a1, a2, a3, a4, a5, a6, a7);
    }

    /// <summary>The same for a kernel of five parameters.</summary>
    public static Action<KernelConfig, T1, T2, T3, T4, T5> LoadStreamKernel<T1, T2, T3, T4, T5>(
        Accelerator accelerator, Action<T1, T2, T3, T4, T5> kernel, int dynamicSharedBytes)
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
        where T5 : struct
    {
        ArgumentNullException.ThrowIfNull(kernel);
        var launcher = LoadKernel(accelerator, kernel.Method, dynamicSharedBytes)
            .CreateLauncherDelegate<Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4, T5>>();
        return (config, a1, a2, a3, a4, a5) => launcher(accelerator.DefaultStream, config, a1, a2, a3, a4, a5);
    }

    /// <summary>
    /// Compiles, rewrites (both passes) and loads an explicitly grouped kernel; the caller makes its launcher with
    /// <c>CreateLauncherDelegate</c> (for kernels whose parameter count the typed overload does not cover).
    /// </summary>
    public static Kernel LoadKernel(Accelerator accelerator, MethodInfo kernel, int dynamicSharedBytes)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ArgumentNullException.ThrowIfNull(kernel);
        var entry = EntryPointDescription.FromExplicitlyGroupedKernel(kernel);
        var compiled = (PTXCompiledKernel)accelerator.GetBackend().Compile(entry, default(KernelSpecialization));
        var loaded = accelerator.LoadKernel(PtxLocalSlotPass.WithAssembly(compiled, Rewrite(PtxLocalSlotPass.Rewrite(compiled.PTXAssembly))));
        CudaFunctionAttributes.AllowDynamicSharedMemory(loaded, dynamicSharedBytes);
        return loaded;
    }

    /// <summary>The PTX of a kernel after both passes, without loading it (for tests and <c>Perf ptx</c>).</summary>
    public static string CompileText(Accelerator accelerator, Delegate kernel)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ArgumentNullException.ThrowIfNull(kernel);
        var entry = EntryPointDescription.FromExplicitlyGroupedKernel(kernel.Method);
        var compiled = (PTXCompiledKernel)accelerator.GetBackend().Compile(entry, default(KernelSpecialization));
        return Rewrite(PtxLocalSlotPass.Rewrite(compiled.PTXAssembly));
    }

    [GeneratedRegex(@"\.target\s+sm_\d+a?")]
    private static partial Regex Target();

    [GeneratedRegex(@"\.version\s+(\d+)\.(\d+)")]
    private static partial Regex Version();

    [GeneratedRegex(@"%wacc(\d+)\b")]
    private static partial Regex Accumulator();

    [GeneratedRegex(@"\.entry\s[^{]*?\n\{[^\n]*\n")]
    private static partial Regex EntryBody();
}
