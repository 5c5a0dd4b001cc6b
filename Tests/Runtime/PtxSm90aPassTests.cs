using System.Reflection;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Runtime;

/// <summary>
/// The sm_90a rewrite on PTX text, and the wgmma GEMM kernel's PTX as ILGPU writes it for sm_90 here (no GPU needed):
/// the target, the accumulator declaration, the wgmma/fence/commit/wait instructions, and no local memory left.
/// </summary>
public sealed class PtxSm90aPassTests
{
    [Fact]
    public void Target_becomes_sm_90a_and_accumulators_are_declared()
    {
        const string ptx = ".version 7.5\n.target sm_80\n.address_size 64\n\n.visible .entry K(\n\t.param .u64 p\n)\n{\n\t.reg .b32 %r<4>;\n"
            + "\twgmma.mma_async.sync.aligned.m64n8k32.s32.s8.s8 {%wacc0, %wacc1, %wacc2, %wacc3}, %rd1, %rd2, 1;\n\tret;\n}\n";
        var result = PtxSm90aPass.Rewrite(ptx);
        Assert.Contains(".target sm_90a\n", result, StringComparison.Ordinal);
        Assert.DoesNotContain("sm_80", result, StringComparison.Ordinal);
        Assert.Contains(".version 8.0\n", result, StringComparison.Ordinal);
        Assert.Contains("{\n\t.reg .b32 %wacc<4>;\n\t.reg .b32 %r<4>;", result, StringComparison.Ordinal);
    }

    [Fact]
    public void Kernels_without_accumulators_only_change_target()
    {
        const string ptx = ".version 8.8\n.target sm_80\n.visible .entry K()\n{\n\tret;\n}\n";
        Assert.Equal(ptx.Replace("sm_80", "sm_90a", StringComparison.Ordinal), PtxSm90aPass.Rewrite(ptx));
    }

    [Fact]
    public void Accumulators_without_an_entry_are_an_error() =>
        Assert.Throws<InvalidOperationException>(() => PtxSm90aPass.Rewrite(".target sm_80\nmov.b32 %wacc3, 0;\n"));

    [Theory]
    [InlineData(typeof(PtxWgmmaN256), 256)]
    [InlineData(typeof(PtxWgmmaN128), 128)]
    public void Wgmma_gemm_kernel_ptx_holds_the_pipeline(Type ops, int n)
    {
        var method = typeof(GemmWgmmaTn).GetMethod(nameof(GemmWgmmaTn.Kernel), BindingFlags.NonPublic | BindingFlags.Static)!
            .MakeGenericMethod(ops, typeof(RequantizeEpilogue));
        var ptx = Compile(method);
        Assert.Contains(".target sm_90a", ptx, StringComparison.Ordinal);
        Assert.Contains($".reg .b32 %wacc<{n / 2}>;", ptx, StringComparison.Ordinal);
        Assert.Equal(4, Count(ptx, $"wgmma.mma_async.sync.aligned.m64n{n}k32.s32.s8.s8"));
        Assert.Contains("wgmma.fence.sync.aligned;", ptx, StringComparison.Ordinal);
        Assert.Contains("wgmma.commit_group.sync.aligned;", ptx, StringComparison.Ordinal);
        Assert.Contains("wgmma.wait_group.sync.aligned 1;", ptx, StringComparison.Ordinal);
        Assert.Contains("fence.proxy.async.shared::cta;", ptx, StringComparison.Ordinal);
        Assert.Contains("cp.async.cg.shared.global", ptx, StringComparison.Ordinal);
        Assert.DoesNotContain("%%", ptx, StringComparison.Ordinal);
        Assert.DoesNotContain("ld.local", ptx, StringComparison.Ordinal);
    }

    [Fact]
    public void Residual_epilogue_kernel_calls_no_function()
    {
        // The CPU half of an IsSupported branch is compiled too: a .NET math call there becomes an unresolved
        // extern function that the driver's JIT refuses (seen on the H200 with MathF.FusedMultiplyAdd).
        var method = typeof(GemmWgmmaTn).GetMethod(nameof(GemmWgmmaTn.Kernel), BindingFlags.NonPublic | BindingFlags.Static)!
            .MakeGenericMethod(typeof(PtxWgmmaN128), typeof(ResidualRequantizeEpilogue));
        var ptx = Compile(method);
        Assert.DoesNotContain("call.uni", ptx, StringComparison.Ordinal);
        Assert.DoesNotContain(".extern .func", ptx, StringComparison.Ordinal);
        Assert.Contains("add.rn.f32", ptx, StringComparison.Ordinal);
    }

    private static int Count(string text, string what)
    {
        int count = 0;
        for (int at = text.IndexOf(what, StringComparison.Ordinal); at >= 0; at = text.IndexOf(what, at + 1, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private static string Compile(MethodInfo method) => PtxSm90aPass.Rewrite(PtxLocalSlotPass.Rewrite(KernelPtx.Sm90(method)));
}
