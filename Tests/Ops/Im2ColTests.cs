using System.Reflection;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Reference;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Ops;

/// <summary>
/// <see cref="Im2Col"/> against <see cref="Im2ColReference"/> (bit-exact), and the reference itself against the direct
/// convolution reference: im2col · [K][Kp] weights = conv.
/// </summary>
public sealed class Im2ColTests
{
    // N, C, H, W, R, S, stride, pad, dilation, columns (0: Im2Col.Columns).
    public static TheoryData<int, int, int, int, int, int, int, int, int, int> Shapes() => new()
    {
        { 1, 3, 7, 7, 7, 7, 2, 3, 1, 0 },   // the ResNet stem in miniature: 147 → 160 columns
        { 2, 1, 5, 6, 3, 3, 1, 1, 1, 0 },   // C = 1
        { 1, 4, 6, 5, 3, 3, 2, 0, 1, 0 },   // C = 4, stride 2, no padding
        { 2, 3, 5, 5, 1, 1, 1, 0, 1, 0 },   // 1×1: 3 → 32 columns
        { 1, 3, 6, 6, 3, 3, 1, 2, 2, 0 },   // dilation 2
        { 1, 3, 5, 4, 3, 2, 1, 1, 1, 20 },  // 18 taps in 20 columns (a multiple of 4, not of 32)
        { 1, 2, 4, 4, 3, 3, 1, 1, 1, 24 },  // R·S·C = 18 in 24
        { 1, 3, 3, 150, 3, 3, 1, 1, 1, 0 }, // Q = 150: three tiles of 50 pixels a row
        { 1, 12, 7, 160, 7, 7, 4, 0, 1, 0 }, // wide patch: the tile halves to 20 pixels; 147 words a row, one row a pass
        { 1, 15, 121, 121, 5, 5, 1, 0, 30, 0 }, // one pixel's patch exceeds the shared memory: the simple kernel only
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Kernel_equals_reference(int n, int c, int h, int w, int r, int s, int stride, int pad, int dilation, int columns) =>
        Check(TestDevices.Cpu, new ConvProblem(n, c, h, w, 8, r, s, stride, stride, pad, pad, dilation, dilation), columns, 1);

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Reference_times_padded_weights_is_the_convolution(int n, int c, int h, int w, int r, int s, int stride, int pad, int dilation, int columns)
    {
        const int K = 5;
        var p = new ConvProblem(n, c, h, w, K, r, s, stride, stride, pad, pad, dilation, dilation);
        int kp = columns > 0 ? columns : Im2Col.Columns(p);
        var x = TestData.Int8(n * c * h * w, 3);
        var krsc = TestData.Int8(K * r * s * c, 4);
        var a = Im2ColReference.Forward(x, p, kp);
        var b = Im2Col.PadWeightRows(krsc, K, kp);
        var gemm = ConvolutionReference.Forward(a, Kernels.Tensors.TensorFormat.NHWC, b, Im2Col.GemmProblem(p, kp));
        Exact.Equal<int>(ConvolutionReference.Forward(x, Kernels.Tensors.TensorFormat.NHWC, krsc, p), gemm, $"im2col gemm vs conv {p}");
    }

    [Fact]
    public void Tiling_plans()
    {
        var stem = new ConvProblem(256, 3, 224, 224, 64, 7, 7, 2, 2, 3, 3);
        var d = Im2ColTiled.Plan(stem, 160)!.Value;
        Assert.Equal((56, 2, 40, 6, 117), (d.TileQ, d.TilesQ, d.Words, d.RowsPerPass, d.PatchWidth));
        Assert.Equal(256 * 112 * 2, Im2ColTiled.Config(d).GridDim.X);
        Assert.Null(Im2ColTiled.Plan(new ConvProblem(1, 15, 121, 121, 8, 5, 5, DilationH: 30, DilationW: 30), 384));
    }

    [Fact]
    public void Tiled_kernel_ptx_keeps_registers_and_stores_words()
    {
        using var context = Context.Create(b => b.Optimize(OptimizationLevel.O2));
        using var backend = new PTXBackend(context, CudaArchitecture.SM_90, CudaInstructionSet.ISA_88, null!);
        var method = typeof(Im2ColTiled).GetMethod(nameof(Im2ColTiled.Kernel), BindingFlags.NonPublic | BindingFlags.Static)!;
        var ptx = ((PTXCompiledKernel)backend.Compile(EntryPointDescription.FromExplicitlyGroupedKernel(method), KernelSpecialization.Empty)).PTXAssembly;
        if (Environment.GetEnvironmentVariable("ILGPUINT8_DUMP_PTX") is { Length: > 0 } dir)
        {
            File.WriteAllText(Path.Combine(dir, "im2col_tiled.ptx"), ptx);
        }

        Assert.DoesNotContain("ld.local", ptx, StringComparison.Ordinal);
        Assert.DoesNotContain("st.local", ptx, StringComparison.Ordinal);
        Assert.Contains("bar.sync", ptx, StringComparison.Ordinal);
        Assert.Contains("ld.shared.b8", ptx, StringComparison.Ordinal);
        Assert.Contains("st.global.b32", ptx, StringComparison.Ordinal);
    }

    [Fact]
    public void Columns_round_up_to_32() =>
        Assert.Equal(160, Im2Col.Columns(new ConvProblem(1, 3, 224, 224, 64, 7, 7, 2, 2, 3, 3)));

    [Fact]
    public void Bad_arguments_throw_before_launch()
    {
        var device = TestDevices.Cpu;
        var p = new ConvProblem(1, 3, 5, 5, 4, 3, 3, PadH: 1, PadW: 1);
        using var x = OpTestDevice.Zeros<sbyte>(device, 75);
        using var y = OpTestDevice.Zeros<sbyte>(device, 25 * 32);
        Assert.Equal("columns", Assert.Throws<ArgumentOutOfRangeException>(() => Im2Col.Run(device, x.View, p, y.View, 26)).ParamName);
        Assert.Equal("columns", Assert.Throws<ArgumentOutOfRangeException>(() => Im2Col.Run(device, x.View, p, y.View, 30)).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => Im2Col.Run(device, x.View, p, y.View.SubView(0, 100), 32)).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => Im2Col.Run(device, x.View, p, y.View.SubView(1, 25 * 28), 28)).ParamName);
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => Im2Col.Run(device, x.View.SubView(0, 74), p, y.View, 32)).ParamName);
        Assert.Equal("problem", Assert.Throws<ArgumentException>(() => Im2Col.Run(device, x.View, p with { C = 2, K = 2, Groups = 2 }, y.View, 32)).ParamName);
        Assert.Throws<ArgumentException>(() => Im2Col.PadWeightRows(new sbyte[4 * 27], 4, 24));
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Kernel_on_gpu_equals_reference()
    {
        var device = TestDevices.Cuda;
        Check(device, new ConvProblem(4, 3, 224, 224, 64, 7, 7, 2, 2, 3, 3), 0, 5);   // the ResNet stem, 160 columns
        Check(device, new ConvProblem(3, 1, 61, 53, 8, 5, 5, 1, 1, 2, 2), 0, 6);
        Check(device, new ConvProblem(2, 4, 33, 35, 8, 3, 3, 2, 2, 1, 1, 2, 2), 0, 7);
        Check(device, new ConvProblem(2, 3, 31, 29, 8, 3, 3, 1, 1, 1, 1), 28, 8);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Float_kernel_equals_reference(int n, int c, int h, int w, int r, int s, int stride, int pad, int dilation, int columns)
    {
        // The TF32 GEMM operand: the float values as they are (edge values included), zeros in the padding and past R·S·C.
        var p = new ConvProblem(n, c, h, w, 8, r, s, stride, stride, pad, pad, dilation, dilation);
        int kp = columns > 0 ? columns : Im2ColFloat.Columns(p);
        Assert.True(kp % 4 == 0 && kp >= r * s * c && (columns > 0 || kp < (r * s * c) + 4));
        var x = TestData.Float(n * h * w * c, 5, 3f);
        float[] edges = [-0f, float.MaxValue, -float.MaxValue, float.Epsilon, 1.00048828125f, float.PositiveInfinity, float.NaN];
        edges.AsSpan(0, Math.Min(edges.Length, x.Length)).CopyTo(x);
        var expected = Im2ColReference.Forward<float>(x, p, kp);
        var device = TestDevices.Cpu;
        using var dx = OpTestDevice.Upload(device, x);
        using var dy = OpTestDevice.Upload(device, Enumerable.Repeat(99f, expected.Length).ToArray());
        Im2ColFloat.Run(device, dx.View, p, dy.View, kp);
        Exact.EqualBits(expected, OpTestDevice.Read(device, dy), $"im2col float {p} into {kp} columns");
    }

    private static void Check(Int8Device device, ConvProblem p, int columns, int seed)
    {
        int kp = columns > 0 ? columns : Im2Col.Columns(p);
        var x = TestData.Int8(p.N * p.H * p.W * p.C, seed);
        var expected = Im2ColReference.Forward(x, p, kp);
        using var dx = OpTestDevice.Upload(device, x);
        foreach (var tiled in new[] { true, false })
        {
            using var dy = OpTestDevice.Upload(device, Enumerable.Repeat((sbyte)99, expected.Length).ToArray());
            Im2Col.Run(device, dx.View, p, dy.View, kp, tiled);
            Exact.Equal<sbyte>(expected, OpTestDevice.Read(device, dy), $"im2col {p} into {kp} columns, tiled {tiled}");
        }
    }
}
