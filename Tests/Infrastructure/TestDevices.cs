using ILGPUInt8.Kernels.Runtime;
using Xunit;

namespace ILGPUInt8.Tests.Infrastructure;

/// <summary>
/// The devices tests run on: one CPU accelerator per process (every simulated GPU thread is an OS thread,
/// so shapes stay small there) and the CUDA device when present. GPU tests carry
/// <c>[Trait("Category", "Gpu")]</c> and skip when there is no CUDA device.
/// </summary>
public static class TestDevices
{
    /// <summary>The shared CPU accelerator (warp size 32).</summary>
    public static Int8Device Cpu => Int8Device.Shared(DeviceKind.Cpu);

    /// <summary>
    /// The shared CUDA device; skips the calling test when none is present. The test must carry the Gpu trait (the GPU
    /// machine runs only <c>Category=Gpu</c>): one without it would be skipped everywhere, so it fails here instead.
    /// </summary>
    public static Int8Device Cuda
    {
        get
        {
            var traits = TestContext.Current.Test?.Traits;
            Assert.True(
                traits is null || (traits.TryGetValue("Category", out var categories) && categories.Contains("Gpu")),
                $"{TestContext.Current.Test?.TestDisplayName} needs CUDA but lacks [Trait(\"Category\", \"Gpu\")]: the GPU machine would never run it.");
            Assert.SkipUnless(Int8Device.CudaAvailable, "No CUDA device: GPU test skipped.");
            return Int8Device.Shared(DeviceKind.Cuda);
        }
    }

    /// <summary>A device by name, for theories over both ("cpu" or "cuda").</summary>
    public static Int8Device Get(string name) => name == "cuda" ? Cuda : Cpu;
}
