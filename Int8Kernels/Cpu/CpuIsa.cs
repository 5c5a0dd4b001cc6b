using System.Runtime.Intrinsics.X86;

namespace ILGPUInt8.Kernels.Cpu;

/// <summary>The instruction-set variants of the CPU int8 kernels, best first.</summary>
public enum CpuIsa
{
    /// <summary>AVX-VNNI <c>vpdpbusd</c>: u8 × s8 → s32, 4 products a lane a step (activations offset by +128).</summary>
    AvxVnni,

    /// <summary>AVX2: bytes widened to int16, <c>vpmaddwd</c> pairs → int32 (exact, no saturation).</summary>
    Avx2,

    /// <summary>Portable scalar loops.</summary>
    Scalar,
}

/// <summary>Which variants this processor runs, and which one to use (<c>ILGPUINT8_CPU_ISA</c> forces one).</summary>
public static class CpuIsaSupport
{
    /// <summary>Environment variable that forces a variant: vnni, avx2 or scalar.</summary>
    public const string ForceEnvironmentVariable = "ILGPUINT8_CPU_ISA";

    // The best variant the current flow of execution may use (null: what the processor has); see LimitTo.
    private static readonly AsyncLocal<CpuIsa?> Limit = new();

    /// <summary>True when this processor and runtime can run the variant (and no <see cref="LimitTo"/> scope excludes it).</summary>
    public static bool IsSupported(CpuIsa isa) => (Limit.Value is not { } limit || isa >= limit) && isa switch
    {
        CpuIsa.AvxVnni => AvxVnni.IsSupported,
        CpuIsa.Avx2 => Avx2.IsSupported,
        _ => true,
    };

    /// <summary>The variant to use: the requested one (a <see cref="NotSupportedException"/> if unsupported here), else the best.</summary>
    public static CpuIsa Checked(CpuIsa? isa)
    {
        if (isa is { } forced && !IsSupported(forced))
        {
            throw new NotSupportedException($"This processor does not support the CPU variant {forced}.");
        }

        return isa ?? Best();
    }

    /// <summary>
    /// Until the returned scope is disposed, the current flow of execution (this thread and the tasks it starts) sees
    /// a processor whose best variant is <paramref name="best"/>: better ones are unsupported. For tests of the refusal
    /// paths on machines that have every variant, and for comparing variants without the environment variable.
    /// </summary>
    public static IDisposable LimitTo(CpuIsa best)
    {
        var previous = Limit.Value;
        Limit.Value = best;
        return new Scope(() => Limit.Value = previous);
    }

    private sealed class Scope(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }

    /// <summary>The forced variant (an error if unsupported here), else the best supported.</summary>
    public static CpuIsa Best()
    {
        var forced = Environment.GetEnvironmentVariable(ForceEnvironmentVariable)?.Trim().ToLowerInvariant();
        if (!string.IsNullOrEmpty(forced))
        {
            CpuIsa isa = forced switch
            {
                "vnni" or "avxvnni" => CpuIsa.AvxVnni,
                "avx2" => CpuIsa.Avx2,
                "scalar" => CpuIsa.Scalar,
                _ => throw new ArgumentException($"{ForceEnvironmentVariable}='{forced}' is not one of vnni, avx2, scalar."),
            };
            return IsSupported(isa) ? isa : throw new NotSupportedException($"{ForceEnvironmentVariable}={forced}: this processor does not support {isa}.");
        }

        return IsSupported(CpuIsa.AvxVnni) ? CpuIsa.AvxVnni : IsSupported(CpuIsa.Avx2) ? CpuIsa.Avx2 : CpuIsa.Scalar;
    }
}
