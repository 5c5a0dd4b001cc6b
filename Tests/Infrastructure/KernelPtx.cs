using System.Reflection;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Tests.Infrastructure;

/// <summary>
/// The PTX ILGPU writes for a kernel on sm_90 without a GPU, as the project's device context compiles it
/// (<see cref="Int8Device.Configure"/>, O2): implicitly grouped when its first parameter is an <see cref="Index1D"/>,
/// else explicitly grouped. The raw PTX, before the loader's passes.
/// </summary>
internal static class KernelPtx
{
    public static string Sm90(MethodInfo method)
    {
        using var context = Context.Create(b => Int8Device.Configure(b.Optimize(OptimizationLevel.O2)));
        using var backend = new PTXBackend(context, CudaArchitecture.SM_90, CudaInstructionSet.ISA_88, null!);
        var entry = method.GetParameters()[0].ParameterType == typeof(Index1D)
            ? EntryPointDescription.FromImplicitlyGroupedKernel(method)
            : EntryPointDescription.FromExplicitlyGroupedKernel(method);
        return ((PTXCompiledKernel)backend.Compile(entry, KernelSpecialization.Empty)).PTXAssembly;
    }
}
