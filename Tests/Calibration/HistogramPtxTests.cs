using System.Reflection;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using ILGPUInt8.Calibration.Histograms;
using Xunit;

namespace ILGPUInt8.Tests.Calibration;

/// <summary>
/// The histogram passes reach their bandwidth only with 16-byte loads, shared-memory atomics and register counters:
/// the kernels compiled to PTX for sm_90 (no GPU needed) are checked for them.
/// </summary>
public sealed class HistogramPtxTests
{
    [Fact]
    public void Histogram_kernels_use_16_byte_loads_shared_atomics_and_no_local_memory()
    {
        var histogram = Ptx(nameof(HistogramKernels.Histogram));
        var range = Ptx(nameof(HistogramKernels.Range));
        if (Environment.GetEnvironmentVariable("ILGPUINT8_DUMP_PTX") is { Length: > 0 } dir)
        {
            File.WriteAllText(Path.Combine(dir, "histogram.ptx"), histogram);
            File.WriteAllText(Path.Combine(dir, "range.ptx"), range);
        }

        foreach (var (name, ptx) in new[] { ("histogram", histogram), ("range", range) })
        {
            var lines = ptx.Split('\n');
            // Four 16-byte loads in the unrolled iteration, one in the remainder loop.
            Assert.True(lines.Count(l => l.Contains("ld.global.v4", StringComparison.Ordinal)) == 5, $"{name}: expected 5 ld.global.v4\n{ptx}");
            Assert.DoesNotContain(lines, l => l.Contains("ld.local", StringComparison.Ordinal) || l.Contains("st.local", StringComparison.Ordinal));
        }

        // Shared-memory counting and the 64-bit flush as reductions (no return value), the division only on the slow path.
        Assert.Contains("red.add.shared.u32", histogram, StringComparison.Ordinal);
        Assert.Contains("red.add.global.u64", histogram, StringComparison.Ordinal);
        Assert.Contains("red.max.global.s32", range, StringComparison.Ordinal);
        Assert.Contains("shfl.sync.down", range, StringComparison.Ordinal);
    }

    private static string Ptx(string kernel)
    {
        using var context = Context.Create(b => b.Optimize(OptimizationLevel.O2));
        using var backend = new PTXBackend(context, CudaArchitecture.SM_90, CudaInstructionSet.ISA_88, null!);
        var method = typeof(HistogramKernels).GetMethod(kernel, BindingFlags.NonPublic | BindingFlags.Static)!;
        var entry = EntryPointDescription.FromExplicitlyGroupedKernel(method);
        return ((PTXCompiledKernel)backend.Compile(entry, KernelSpecialization.Empty)).PTXAssembly;
    }
}
