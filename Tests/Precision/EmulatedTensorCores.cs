using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Operators;
using ILGPUInt8.Layers.Runtime;
using ILGPUInt8.Tests.Infrastructure;

namespace ILGPUInt8.Tests.Precision;

/// <summary>
/// Engines on the CPU accelerator that take the CUDA path of FP16/TF32 steps: the emulated mma.sync GEMM (im2col +
/// <see cref="GemmMmaFloat"/>) and, when asked, the emulated implicit-GEMM convolution (<see cref="ConvMmaFloat"/>, 64×64
/// tiles), injected for the build only.
/// </summary>
internal static class EmulatedTensorCores
{
    /// <summary>Builds <paramref name="net"/> with the emulated tensor-core variants of <paramref name="input"/>.</summary>
    public static Engine Build(NetworkDefinition net, BuilderConfig config, FloatMmaInput input, bool implicitConv)
    {
        TensorCoreConvolutionStep.CpuVariant = new GemmMmaFloat(input, allowCpuAccelerator: true);
        TensorCoreConvolutionStep.CpuConvVariant = implicitConv ? new ConvMmaFloat(input, 64, 64, allowCpuAccelerator: true) : null;
        try
        {
            return EngineBuilder.Build(net, config, TestDevices.Cpu);
        }
        finally
        {
            TensorCoreConvolutionStep.CpuVariant = null;
            TensorCoreConvolutionStep.CpuConvVariant = null;
        }
    }
}
