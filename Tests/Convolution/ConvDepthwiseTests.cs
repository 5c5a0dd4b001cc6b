using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Kernels.Reference;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Convolution;

/// <summary>
/// <see cref="ConvDepthwise"/>: bit-exact against <see cref="ConvolutionReference"/> (int32) and against the direct kernel
/// (every epilogue) on odd sizes, channel tails, padding edges, strides, 5×5, dilation and −128/127 inputs.
/// </summary>
public sealed class ConvDepthwiseTests
{
    private const string Depthwise = "conv_s8_depthwise";
    private const string Direct = "conv_s8_direct";

    private static readonly ConvProblem[] CpuProblems =
    [
        Dw(1, 8, 7, 9, 3, 1, 1),             // 3×3 stride 1, Q = 9 (a partial column block)
        Dw(2, 12, 9, 7, 3, 2, 1),            // 3×3 stride 2, odd H and W, batch 2
        Dw(1, 16, 9, 11, 5, 1, 2),           // 5×5 stride 1
        Dw(1, 8, 10, 10, 5, 2, 2),           // 5×5 stride 2 (EfficientNet)
        Dw(1, 6, 5, 6, 3, 1, 1),             // C = 6: a tail of two channels
        Dw(1, 5, 6, 5, 3, 2, 0),             // C = 5: a tail of one, no padding
        Dw(1, 3, 7, 6, 3, 1, 2, dilation: 2), // dilation 2, C = 3
        Dw(2, 1, 4, 7, 3, 1, 1),             // one channel
        new(1, 8, 6, 5, 8, 3, 1, StrideH: 2, StrideW: 1, PadH: 1, PadW: 0, Groups: 8), // asymmetric window and stride
    ];

    public static TheoryData<int> CpuIndices() => new(Enumerable.Range(0, CpuProblems.Length));

    [Theory]
    [MemberData(nameof(CpuIndices))]
    public void Int32_matches_reference_on_cpu(int problem)
    {
        var p = CpuProblems[problem];
        Check(TestDevices.Cpu, p, Inputs(p, problem), problem, offset: 0);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4)]
    public void Unaligned_input_takes_the_byte_path_and_matches(int problem)
    {
        // x one byte into its allocation: the word loads would be misaligned, so the kernel reads bytes.
        var p = CpuProblems[problem];
        Check(TestDevices.Cpu, p, Inputs(p, problem + 50), problem + 50, offset: 1);
    }

    [Fact]
    public void Extreme_inputs_match_reference()
    {
        // Every input and weight at −128 or 127: the largest products the int32 sums take.
        var p = Dw(1, 8, 6, 7, 5, 1, 2);
        var x = Enumerable.Range(0, p.N * p.H * p.W * p.C).Select(i => (sbyte)(i % 3 == 0 ? 127 : -128)).ToArray();
        Check(TestDevices.Cpu, p, x, seed: 0, offset: 0, weightsOverride: Enumerable.Range(0, p.K * p.R * p.S).Select(i => (sbyte)(i % 2 == 0 ? -128 : 127)).ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Every_epilogue_matches_the_direct_kernel(int problem) =>
        EpiloguesMatchDirect(TestDevices.Cpu, CpuProblems[problem], problem + 200);

    [Fact]
    public void Selection_prefers_depthwise_and_leaves_the_rest_to_direct()
    {
        var cpu = TestDevices.Cpu;
        Assert.IsType<ConvDepthwise>(ConvVariants.Select(cpu, Dw(1, 32, 8, 8, 3, 1, 1), TensorFormat.NHWC));
        Assert.IsType<ConvDepthwise>(ConvVariants.Select(cpu, Dw(1, 6, 8, 8, 3, 2, 1), TensorFormat.NHWC));
        // A channel multiplier (K = 2·C), NCHW_VECT_C and plain grouped convolutions are declined.
        var multiplier = new ConvProblem(1, 8, 8, 8, 16, 3, 3, PadH: 1, PadW: 1, Groups: 8);
        Assert.NotNull(new ConvDepthwise().CanImplement(cpu, multiplier, TensorFormat.NHWC));
        Assert.IsType<ConvDirect>(ConvVariants.Select(cpu, multiplier, TensorFormat.NHWC));
        Assert.IsType<ConvDirect>(ConvVariants.Select(cpu, Dw(1, 8, 8, 8, 3, 1, 1), TensorFormat.NCHW_VECT_C));
        Assert.NotNull(new ConvDepthwise().CanImplement(cpu, new ConvProblem(1, 8, 8, 8, 8, 3, 3, Groups: 2), TensorFormat.NHWC));
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Matches_reference_and_direct_on_gpu()
    {
        var device = TestDevices.Cuda;
        var random = new Random(91);
        for (var t = 0; t < 120; t++)
        {
            int r = random.Next(2) == 0 ? 3 : 5, stride = random.Next(1, 3), dilation = random.Next(6) == 0 ? 2 : 1;
            var p = Dw(random.Next(1, 4), random.Next(1, 70), random.Next(r, 24), random.Next(r, 24), r, stride, random.Next(0, r), dilation);
            if (p.P <= 0 || p.Q <= 0)
            {
                continue;
            }

            Check(device, p, Inputs(p, t), t, offset: t % 7 == 0 ? 1 : 0);
        }

        // MobileNetV2's first depthwise layer and EfficientNet-B0's 5×5 stride 2 one (batch 4), every epilogue.
        EpiloguesMatchDirect(device, Dw(4, 32, 112, 112, 3, 1, 1), 1);
        EpiloguesMatchDirect(device, Dw(4, 240, 28, 28, 5, 2, 2), 2);
        EpiloguesMatchDirect(device, Dw(3, 58, 28, 28, 3, 2, 1), 3);
    }

    private static ConvProblem Dw(int n, int c, int h, int w, int r, int stride, int pad, int dilation = 1) =>
        new(n, c, h, w, c, r, r, stride, stride, pad, pad, dilation, dilation, c);

    private static sbyte[] Inputs(ConvProblem p, int seed) => TestData.Int8(p.N * p.H * p.W * p.C, seed);

    private static void Check(Int8Device device, ConvProblem p, sbyte[] x, int seed, int offset, sbyte[]? weightsOverride = null)
    {
        var w = weightsOverride ?? TestData.Int8(p.K * p.R * p.S, seed + 100);
        var expected = ConvolutionReference.Forward(x, TensorFormat.NHWC, w, p);
        using var weights = new PackedConvWeights(device, w, p);
        using var dx = device.Accelerator.Allocate1D<sbyte>(x.Length + offset);
        dx.View.SubView(offset, x.Length).CopyFromCPU(x);
        using var dy = device.Accelerator.Allocate1D<int>(expected.Length);
        var chosen = ConvS8.Int32(device, dx.View.SubView(offset, x.Length), TensorFormat.NHWC, weights, p, dy.View, Depthwise);
        device.Synchronize();
        Assert.IsType<ConvDepthwise>(chosen);
        Exact.Equal<int>(expected, dy.GetAsArray1D(), $"depthwise offset {offset} {p}");
    }

    /// <summary>Requantize (ReLU and not), activation table, fixed point (with and without table), dequantize, residual sum.</summary>
    private static void EpiloguesMatchDirect(Int8Device device, ConvProblem p, int seed)
    {
        var x = Inputs(p, seed);
        var w = TestData.Int8(p.K * p.R * p.S, seed + 1);
        int outputs = p.N * p.P * p.Q * p.K;
        var multiplier = Enumerable.Range(0, p.K).Select(k => 0.001f + (0.0004f * (k % 13))).ToArray();
        var bias = TestData.Int32(p.K, seed + 2, -3000, 3000);
        var lut = TestData.Int8(256, seed + 3);
        var alpha = Enumerable.Range(0, p.K).Select(k => 0.01f * (1 + (k % 7))).ToArray();
        var channels = FixedPointChannel.Create(bias, multiplier.Select(m => (double)m).ToArray());
        var skip = TestData.Int8(outputs, seed + 4);
        using var weights = new PackedConvWeights(device, w, p);
        using var dx = device.Accelerator.Allocate1D(x);
        using var dm = device.Accelerator.Allocate1D(multiplier);
        using var db = device.Accelerator.Allocate1D(bias);
        using var dl = device.Accelerator.Allocate1D(lut);
        using var da = device.Accelerator.Allocate1D(alpha);
        using var dc = device.Accelerator.Allocate1D(channels);
        using var ds = device.Accelerator.Allocate1D(skip);
        using var y8 = device.Accelerator.Allocate1D<sbyte>(outputs);
        using var yf = device.Accelerator.Allocate1D<float>(outputs);
        var sum = new ResidualSum(1 << 14, 3 << 13, 15, -127);
        var cases = new (string Name, Func<IGemmEpilogue> Make, bool Float)[]
        {
            ("requantize", () => new RequantizeEpilogue(y8.View, p.K, dm.View, db.View, -127), false),
            ("requantize relu", () => new RequantizeEpilogue(y8.View, p.K, dm.View, db.View, 0), false),
            ("lut", () => new RequantizeLutEpilogue(y8.View, p.K, dm.View, db.View, dl.View), false),
            ("fixed point", () => new FixedPointRequantizeEpilogue(y8.View, p.K, dc.View, -127, dl.View, 0), false),
            ("fixed point lut", () => new FixedPointRequantizeEpilogue(y8.View, p.K, dc.View, -127, dl.View, 1), false),
            ("residual sum", () => new RequantizeSumEpilogue(y8.View, p.K, dm.View, db.View, ds.View, p.K, sum), false),
            ("dequantize", () => new DequantizeEpilogue(yf.View, p.K, da.View, 0.5f), true),
        };
        foreach (var (name, make, isFloat) in cases)
        {
            var results = new List<Array>();
            foreach (var variant in new[] { Direct, Depthwise })
            {
                // Same starting output for both (beta reads it).
                y8.MemSetToZero();
                yf.View.CopyFromCPU(Enumerable.Range(0, outputs).Select(i => (i % 5) - 2f).ToArray());
                Run(device, dx.View, weights, p, make(), variant);
                device.Synchronize();
                results.Add(isFloat ? yf.GetAsArray1D() : y8.GetAsArray1D());
            }

            if (isFloat)
            {
                Exact.Equal<float>((float[])results[0], (float[])results[1], $"{name} {p}");
            }
            else
            {
                Exact.Equal<sbyte>((sbyte[])results[0], (sbyte[])results[1], $"{name} {p}");
            }
        }
    }

    private static void Run(Int8Device device, ArrayView<sbyte> x, PackedConvWeights weights, ConvProblem p, IGemmEpilogue epilogue, string variant)
    {
        switch (epilogue)
        {
            case RequantizeEpilogue e:
                ConvS8.Forward(device, x, TensorFormat.NHWC, weights, p, e, variant);
                break;
            case RequantizeLutEpilogue e:
                ConvS8.Forward(device, x, TensorFormat.NHWC, weights, p, e, variant);
                break;
            case FixedPointRequantizeEpilogue e:
                ConvS8.Forward(device, x, TensorFormat.NHWC, weights, p, e, variant);
                break;
            case RequantizeSumEpilogue e:
                ConvS8.Forward(device, x, TensorFormat.NHWC, weights, p, e, variant);
                break;
            case DequantizeEpilogue e:
                ConvS8.Forward(device, x, TensorFormat.NHWC, weights, p, e, variant);
                break;
            default:
                throw new ArgumentException($"no case for {epilogue.GetType().Name}", nameof(epilogue));
        }
    }
}
