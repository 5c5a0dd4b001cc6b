using System.Reflection;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Ops;

/// <summary>
/// Kernels that call XMath (exp, tanh) compile for the GPU only in a context with ILGPU.Algorithms enabled: compiled
/// here to PTX for sm_90 with <see cref="Int8Device.Configure"/> (no GPU needed), so CI catches a context without it.
/// </summary>
public sealed class TranscendentalPtxTests
{
    [Fact]
    public void Softmax_sigmoid_and_tanh_kernels_compile_to_ptx()
    {
        var softmax = typeof(SoftMaxStrided).GetMethod(nameof(SoftMaxStrided.FloatKernel), BindingFlags.NonPublic | BindingFlags.Static)!;
        var activation = typeof(Activation).GetMethod(nameof(Activation.FloatKernel), BindingFlags.NonPublic | BindingFlags.Static)!;
        foreach (var method in new[]
        {
            softmax,
            activation.MakeGenericMethod(typeof(SigmoidActivation)),
            activation.MakeGenericMethod(typeof(TanhActivation)),
        })
        {
            var ptx = Ptx(method);
            Assert.True(ptx.Contains(".entry", StringComparison.Ordinal), $"{method.Name}: no kernel entry in\n{ptx}");
        }
    }

    private static string Ptx(MethodInfo method) => KernelPtx.Sm90(method);
}
