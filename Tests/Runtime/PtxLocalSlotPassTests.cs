using ILGPUInt8.Kernels.Runtime;
using Xunit;

namespace ILGPUInt8.Tests.Runtime;

public sealed class PtxLocalSlotPassTests
{
    [Fact]
    public void Word_slots_become_registers_and_other_slots_stay()
    {
        const string ptx = """
            {
            	.local .align 4 .b8 __local_depot0[4];
            	.local .align 4 .b8 __local_depot1[4];
            	.local .align 8 .b8 __local_depot2[8];
            	mov.b64	%rd1, __local_depot0;
            	mov.b64	%rd2, __local_depot1;
            	mov.b64	%rd3, __local_depot2;
            	st.local.b32	[%rd1], %r5;
            	ld.local.b32	%r6, [%rd1];
            	mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%r6,%r6,%r6,%r6}, {%r1,%r1,%r1,%r1}, {%r1,%r1}, {%r6,%r6,%r6,%r6};
            	st.local.b32	[%rd1], %r6;
            	add.s64	%rd4, %rd2, 4;
            	st.local.b32	[%rd2], %r7;
            	st.local.b64	[%rd3], %rd9;
            }
            """;
        var result = PtxLocalSlotPass.Rewrite(ptx);
        Assert.Contains(".reg .b32 %dp0;", result, StringComparison.Ordinal);
        Assert.Contains("mov.b32 %dp0, %r5;", result, StringComparison.Ordinal);
        Assert.Contains("mov.b32 %r6, %dp0;", result, StringComparison.Ordinal);
        Assert.Contains("mov.b32 %dp0, %r6;", result, StringComparison.Ordinal);
        Assert.DoesNotContain("__local_depot0", result, StringComparison.Ordinal);

        // Slot 1's address has another use (add), slot 2 is 8 bytes: both stay in local memory.
        Assert.Contains("st.local.b32\t[%rd2], %r7;", result, StringComparison.Ordinal);
        Assert.Contains("__local_depot1[4]", result, StringComparison.Ordinal);
        Assert.Contains("st.local.b64\t[%rd3], %rd9;", result, StringComparison.Ordinal);
    }

    [Fact]
    public void Float_accumulator_slots_become_f32_registers()
    {
        // The float MMAs' FP32 accumulators (Ref<float>): ILGPU stores and loads them as .f32, zero as a float literal.
        const string ptx = """
            {
            	.local .align 4 .b8 __local_depot7[4];
            	mov.b64	%rd8, __local_depot7;
            	st.local.f32	[%rd8], 0f00000000;
            	ld.local.f32	%f3, [%rd8];
            	mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%f3,%f3,%f3,%f3}, {%r1,%r1,%r1,%r1}, {%r1,%r1}, {%f3,%f3,%f3,%f3};
            	st.local.f32	[%rd8], %f3;
            }
            """;
        var result = PtxLocalSlotPass.Rewrite(ptx);
        Assert.Contains(".reg .f32 %dp7;", result, StringComparison.Ordinal);
        Assert.Contains("mov.f32 %dp7, 0f00000000;", result, StringComparison.Ordinal);
        Assert.Contains("mov.f32 %f3, %dp7;", result, StringComparison.Ordinal);
        Assert.Contains("mov.f32 %dp7, %f3;", result, StringComparison.Ordinal);
        Assert.DoesNotContain("local", result, StringComparison.Ordinal);
    }
}
