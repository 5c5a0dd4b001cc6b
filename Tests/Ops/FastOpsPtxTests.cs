using System.Reflection;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Ops;

/// <summary>
/// The warp softmax, the int8 max pooling and the RGB convert kernels compile to PTX for sm_90 here (no GPU needed), and
/// use what they were written for: warp shuffles, 16-byte global loads and stores.
/// </summary>
public sealed class FastOpsPtxTests
{
    [Fact]
    public void Warp_softmax_kernels_use_butterfly_shuffles()
    {
        foreach (var name in new[] { nameof(SoftMax.FloatWarpKernel), nameof(SoftMax.Int8WarpKernel) })
        {
            var ptx = Ptx(typeof(SoftMax).GetMethod(name, BindingFlags.NonPublic | BindingFlags.Static)!);
            Assert.True(ptx.Contains("shfl.sync.bfly", StringComparison.Ordinal), $"{name}: no butterfly shuffle in\n{ptx}");
        }
    }

    [Fact]
    public void Int8_max_pool_16_lanes_loads_and_stores_16_bytes()
    {
        var kernel = typeof(PoolingMaxInt8).GetMethod(nameof(PoolingMaxInt8.Kernel), BindingFlags.NonPublic | BindingFlags.Static)!;
        var ptx = Ptx(kernel.MakeGenericMethod(typeof(Int4), typeof(MaxLanes16)));
        Assert.True(ptx.Contains("ld.global.v4", StringComparison.Ordinal), $"no 16-byte load in\n{ptx}");
        Assert.True(ptx.Contains("st.global.v4", StringComparison.Ordinal), $"no 16-byte store in\n{ptx}");
        // The only local slots are the 4-byte ones ILGPU gives each inline-PTX output (cvt.pack), which ptxas promotes.
        var slots = ptx.Split('\n').Where(l => l.Contains(".local .align", StringComparison.Ordinal)).ToArray();
        Assert.All(slots, l => Assert.EndsWith("[4];", l.Trim(), StringComparison.Ordinal));
    }

    [Fact]
    public void Fp16_pool_kernels_load_16_bytes_and_keep_their_lanes_in_registers()
    {
        // The tap-by-tap kernel (max) and the four-taps-a-row kernel (averages): 8 halves a 16-byte access, the 8 running
        // values in registers (no local memory), four loads of a row at once in the second.
        var max = Ptx(typeof(Pooling).GetMethod(nameof(Pooling.Half8Kernel), BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(typeof(MaxFloat)));
        var average = Ptx(typeof(Pooling).GetMethod(nameof(Pooling.Half8RowsKernel), BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(typeof(AverageFloat<CountValid>)));
        foreach (var (name, ptx) in new[] { ("max", max), ("average", average) })
        {
            Assert.True(ptx.Contains("ld.global.v4", StringComparison.Ordinal), $"{name}: no 16-byte load in\n{ptx}");
            Assert.True(ptx.Contains("st.global.v4", StringComparison.Ordinal), $"{name}: no 16-byte store in\n{ptx}");
            Assert.DoesNotContain(ptx.Split('\n'), l => l.TrimStart().StartsWith("ld.local", StringComparison.Ordinal) || l.TrimStart().StartsWith("st.local", StringComparison.Ordinal));
        }

        Assert.True(average.Split("ld.global.v4").Length - 1 >= 4, "the average kernel should load four taps of a row at once");
    }

    [Fact]
    public void Rgb_convert_kernels_load_16_bytes()
    {
        var kernel = typeof(ConvertRgb).GetMethod(nameof(ConvertRgb.Kernel), BindingFlags.NonPublic | BindingFlags.Static)!;
        var quantize = Ptx(kernel.MakeGenericMethod(typeof(sbyte), typeof(RgbQuantize), typeof(int)));
        var copy = Ptx(kernel.MakeGenericMethod(typeof(float), typeof(RgbFloat), typeof(Float4)));
        Assert.True(quantize.Contains("ld.global.v4", StringComparison.Ordinal), $"no 16-byte load in\n{quantize}");
        Assert.True(copy.Contains("st.global.v4", StringComparison.Ordinal), $"no 16-byte store in\n{copy}");
    }

    private static string Ptx(MethodInfo method) => KernelPtx.Sm90(method);
}
