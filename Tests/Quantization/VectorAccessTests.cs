using System.Reflection;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using ILGPUInt8.Kernels.Quantization;
using Xunit;

namespace ILGPUInt8.Tests.Quantization;

/// <summary>
/// The memory-bound kernels reach the bandwidth target only with 16-byte global accesses. ILGPU writes
/// <c>ld/st.global.v4</c> at O2 for 16-byte structs; this compiles the vector kernels to PTX for sm_90 (no GPU needed)
/// and counts them, so a change that falls back to narrow accesses fails here rather than in a benchmark.
/// </summary>
public sealed class VectorAccessTests
{
    [Fact]
    public void Quantize_dequantize_and_requantize_use_16_byte_global_accesses()
    {
        using var context = Context.Create(b => b.Optimize(OptimizationLevel.O2));
        using var backend = new PTXBackend(context, CudaArchitecture.SM_90, CudaInstructionSet.ISA_88, null!);
        var flags = BindingFlags.NonPublic | BindingFlags.Static;

        // (kernel, 16-byte loads, all global loads, 16-byte stores) per thread: quantize and requantize 16 elements, dequantize 8
        // (one 8-byte load); requantize also loads its 8-byte channel parameters once per element.
        (MethodInfo Kernel, int Loads, int AllLoads, int Stores, string Name)[] cases =
        [
            (typeof(Quantizer).GetMethod(nameof(Quantizer.VectorKernel), flags)!.MakeGenericMethod(typeof(TensorScale)), 4, 4, 1, "quantize"),
            (typeof(Dequantizer).GetMethod(nameof(Dequantizer.VectorKernel), flags)!.MakeGenericMethod(typeof(TensorScale)), 0, 1, 2, "dequantize"),
            (typeof(Requantizer).GetMethod(nameof(Requantizer.VectorKernel), flags)!.MakeGenericMethod(typeof(FloatRequantize)), 4, 20, 1, "requantize"),
        ];
        foreach (var (kernel, loads, allLoads, stores, name) in cases)
        {
            var entry = EntryPointDescription.FromImplicitlyGroupedKernel(kernel);
            var ptx = ((PTXCompiledKernel)backend.Compile(entry, KernelSpecialization.Empty)).PTXAssembly;
            var lines = ptx.Split('\n');
            Assert.True(lines.Count(l => l.Contains("ld.global.v4", StringComparison.Ordinal)) == loads, $"{name}: expected {loads} ld.global.v4\n{ptx}");
            Assert.True(lines.Count(l => l.Contains("ld.global", StringComparison.Ordinal)) == allLoads, $"{name}: expected {allLoads} global loads\n{ptx}");
            Assert.True(lines.Count(l => l.Contains("st.global.v4", StringComparison.Ordinal)) == stores, $"{name}: expected {stores} st.global.v4\n{ptx}");
            Assert.DoesNotContain(lines, l => l.Contains("st.global.b8", StringComparison.Ordinal) || l.Contains("st.global.s8", StringComparison.Ordinal));
            Assert.DoesNotContain(lines, l => l.Contains("ld.global.s8", StringComparison.Ordinal) || l.Contains("ld.global.b8", StringComparison.Ordinal) || l.Contains("ld.global.u8", StringComparison.Ordinal));
        }
    }
}
