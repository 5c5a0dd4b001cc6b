using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using ILGPU;
using ILGPU.Backends;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;

namespace ILGPUInt8.Kernels.Runtime;

/// <summary>
/// Loads a kernel through ILGPU's PTX backend with one rewrite of the PTX before the driver sees it.
/// ILGPU 1.5.3 passes every inline-PTX output (<c>CudaAsm.EmitRef</c>'s <c>Output</c>/<c>Ref</c>) through its own
/// 4-byte <c>.local</c> slot (<c>st.local</c> after the asm, <c>ld.local</c> before the next use). ptxas promotes a
/// few such slots to registers, but not the ~1500 of an unrolled 64×64 mma.sync warp tile: measured on the H200,
/// 5992 bytes of stack and ~2900 LDL/STL in the SASS of the GEMM kernel, against 0 after this rewrite.
/// The rewrite: a slot <c>.local .align 4 .b8 __local_depotN[4]</c> whose address registers
/// (<c>mov.b64 %rdX, __local_depotN;</c>) are used only by whole-word <c>ld.local.b32</c> / <c>st.local.b32</c> (integer
/// outputs) or <c>ld.local.f32</c> / <c>st.local.f32</c> (the FP32 accumulators of the float MMAs) becomes a register
/// <c>%dpN</c> of the type of its first access (loads and stores become moves of that type; .b32 and .f32 registers are
/// interchangeable in both, as the PTX type rules allow); any other slot is left as it is.
/// </summary>
internal static partial class PtxLocalSlotPass
{
    /// <summary>
    /// Loads an explicitly grouped kernel on a CUDA accelerator with the rewrite and returns a launcher on the default
    /// stream; <paramref name="dynamicSharedBytes"/> &gt; 48 KB also raises the kernel's dynamic shared memory limit.
    /// </summary>
    public static Action<KernelConfig, T1, T2, T3, T4, T5, T6> LoadStreamKernel<T1, T2, T3, T4, T5, T6>(
        Accelerator accelerator, Action<T1, T2, T3, T4, T5, T6> kernel, int dynamicSharedBytes)
        where T1 : struct
        where T2 : struct
        where T3 : struct
        where T4 : struct
        where T5 : struct
        where T6 : struct
    {
        var entry = EntryPointDescription.FromExplicitlyGroupedKernel(kernel.Method);
        var compiled = (PTXCompiledKernel)accelerator.GetBackend().Compile(entry, default(KernelSpecialization));
        var patched = Rewrite(compiled.PTXAssembly);
        var loaded = accelerator.LoadKernel(WithAssembly(compiled, patched));
        var launcher = loaded.CreateLauncherDelegate<Action<AcceleratorStream, KernelConfig, T1, T2, T3, T4, T5, T6>>();
        Action<KernelConfig, T1, T2, T3, T4, T5, T6> stream = (config, a1, a2, a3, a4, a5, a6) =>
            launcher(accelerator.DefaultStream, config, a1, a2, a3, a4, a5, a6);
        CudaFunctionAttributes.AllowDynamicSharedMemory(loaded, dynamicSharedBytes);
        return stream;
    }

    /// <summary>The PTX with every register-like 4-byte local slot turned into a register (see the class remarks).</summary>
    public static string Rewrite(string ptx)
    {
        // Address register → slot number, for slots declared as 4 bytes.
        var fourByte = new HashSet<string>(FourByteSlot().Matches(ptx).Select(m => m.Groups[1].Value), StringComparer.Ordinal);
        var slotOf = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match m in SlotAddress().Matches(ptx))
        {
            if (fourByte.Contains(m.Groups[2].Value))
            {
                slotOf[m.Groups[1].Value] = m.Groups[2].Value;
            }
        }

        // A slot stays in memory if any of its address registers has another use.
        var lines = ptx.Split('\n');
        var keep = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            var text = line.Trim();
            if (SlotAddress().IsMatch(text) || LoadWord().IsMatch(text) || StoreWord().IsMatch(text))
            {
                continue;
            }

            foreach (Match r in Register64().Matches(text))
            {
                if (slotOf.TryGetValue(r.Value, out var slot))
                {
                    keep.Add(slot);
                }
            }
        }

        bool Promoted(string register, out string slot) => slotOf.TryGetValue(register, out slot!) && !keep.Contains(slot);

        // Each slot's register type: that of its first whole-word access (ILGPU gives a slot one type).
        var typeOf = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            var text = line.Trim();
            Match a;
            if (((a = StoreWord().Match(text)).Success && slotOf.TryGetValue(a.Groups[2].Value, out var s1) && !typeOf.ContainsKey(s1))
                || ((a = LoadWord().Match(text)).Success && slotOf.TryGetValue(a.Groups[3].Value, out s1) && !typeOf.ContainsKey(s1)))
            {
                typeOf[s1] = a.Groups[1].Value;
            }
        }

        string TypeOf(string slot) => typeOf.TryGetValue(slot, out var t) ? t : "b32";

        var result = new StringBuilder(ptx.Length);
        foreach (var line in lines)
        {
            var text = line.Trim();
            Match m;
            if ((m = FourByteSlotLine().Match(text)).Success && fourByte.Contains(m.Groups[1].Value) && !keep.Contains(m.Groups[1].Value)
                && slotOf.ContainsValue(m.Groups[1].Value))
            {
                result.Append("\t.reg .").Append(TypeOf(m.Groups[1].Value)).Append(" %dp").Append(m.Groups[1].Value).Append(";\n");
            }
            else if ((m = SlotAddress().Match(text)).Success && Promoted(m.Groups[1].Value, out _))
            {
                // The address is no longer needed.
            }
            else if ((m = StoreWord().Match(text)).Success && Promoted(m.Groups[2].Value, out var storeSlot))
            {
                result.Append("\tmov.").Append(TypeOf(storeSlot)).Append(" %dp").Append(storeSlot).Append(", ").Append(m.Groups[3].Value).Append(";\n");
            }
            else if ((m = LoadWord().Match(text)).Success && Promoted(m.Groups[3].Value, out var loadSlot))
            {
                result.Append("\tmov.").Append(TypeOf(loadSlot)).Append(' ').Append(m.Groups[2].Value).Append(", %dp").Append(loadSlot).Append(";\n");
            }
            else
            {
                result.Append(line).Append('\n');
            }
        }

        return result.ToString(0, result.Length - 1);
    }

    // PTXCompiledKernel's constructor and CompiledKernel.EntryPoint are internal in ILGPU 1.5.3.
    internal static PTXCompiledKernel WithAssembly(PTXCompiledKernel compiled, string ptx)
    {
        var entryPoint = typeof(CompiledKernel).GetProperty("EntryPoint", BindingFlags.Instance | BindingFlags.NonPublic)!.GetValue(compiled)!;
        var constructor = typeof(PTXCompiledKernel).GetConstructors(BindingFlags.Instance | BindingFlags.NonPublic).Single(c => c.GetParameters().Length == 4);
        return (PTXCompiledKernel)constructor.Invoke([compiled.Context, entryPoint, compiled.Info, ptx]);
    }

    [GeneratedRegex(@"\.local \.align 4 \.b8 __local_depot(\d+)\[4\];")]
    private static partial Regex FourByteSlot();

    [GeneratedRegex(@"^\.local \.align 4 \.b8 __local_depot(\d+)\[4\];$")]
    private static partial Regex FourByteSlotLine();

    [GeneratedRegex(@"mov\.b64\s+(%rd\d+),\s*__local_depot(\d+);")]
    private static partial Regex SlotAddress();

    [GeneratedRegex(@"^ld\.local\.(b32|f32)\s+(%[rf]\d+),\s*\[(%rd\d+)\];$")]
    private static partial Regex LoadWord();

    [GeneratedRegex(@"^st\.local\.(b32|f32)\s+\[(%rd\d+)\],\s*([^;]+);$")]
    private static partial Regex StoreWord();

    [GeneratedRegex(@"%rd\d+\b")]
    private static partial Regex Register64();
}
