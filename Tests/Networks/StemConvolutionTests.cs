using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Networks;

/// <summary>
/// INT8 convolutions with few input channels (C &lt; 16, R·S &gt; 1: an image stem) run as the folded stem
/// (<see cref="ConvStemFold"/>, the engine input's quantize fused) or im2col + the 1×1 convolution of the im2col matrix:
/// bit-identical to the reference pipeline, two launches a step.
/// </summary>
public sealed class StemConvolutionTests
{
    // C, H, W, K, kernel, stride, pad.
    public static TheoryData<int, int, int, int, int, int, int> Stems() => new()
    {
        { 3, 11, 11, 8, 7, 2, 3 },  // the ResNet stem in miniature: folded, 4×4 taps of 16 channels
        { 3, 10, 13, 8, 7, 2, 3 },  // even H, odd W
        { 2, 9, 9, 6, 5, 3, 2 },    // stride 3: 18 channels folded into 32
        { 1, 7, 6, 5, 3, 1, 1 },    // one channel
        { 4, 6, 6, 8, 3, 2, 1 },    // four channels: formerly the dp4a implicit GEMM straight on x
        { 3, 6, 5, 4, 1, 1, 0 },    // 1×1 on 3 channels: still the channel pad
    };

    [Theory]
    [MemberData(nameof(Stems))]
    public void Int8_stem_equals_reference_pipeline(int c, int h, int w, int k, int kernel, int stride, int pad) =>
        Check(TestDevices.Cpu, c, h, w, k, kernel, stride, pad, maxBatch: 2);

    [Fact]
    [Trait("Category", "Gpu")]
    public void Int8_stem_on_gpu_equals_reference_pipeline()
    {
        var device = TestDevices.Cuda;
        Check(device, 3, 64, 64, 64, 7, 2, 3, maxBatch: 4);    // ResNet stem, K = 64: folded, the tensor cores take 4×4×16
        Check(device, 3, 37, 41, 24, 5, 2, 2, maxBatch: 3);
        Check(device, 1, 28, 28, 16, 3, 1, 1, maxBatch: 5);
        Check(device, 3, 20, 20, 8, 1, 1, 0, maxBatch: 2);
    }

    private static void Check(Int8Device device, int c, int h, int w, int k, int kernel, int stride, int pad, int maxBatch)
    {
        var net = new NetworkDefinition("stem");
        var x = net.AddInput("data", new TensorDims(c, h, w));
        net.Sequential(x)
            .Convolution(k, kernel, TestNetworks.Weights(k * c * kernel * kernel, c * kernel * kernel, 11), Infrastructure.TestData.Float(k, 12, 0.2f), stride, pad, name: "stem")
            .Relu("relu")
            .MaxPool(2, name: "pool")
            .MarkOutput();
        var inputs = TestNetworks.Inputs(net, maxBatch);
        TestNetworks.SetRanges(net, inputs, maxBatch);
        using var engine = TestNetworks.Build(net, maxBatch, int8: true, device: device);
        Assert.Contains(engine.Layers, l => l.Int8 && l.Type == LayerType.Convolution);
        var p = new ConvProblem(maxBatch, c, h, w, k, kernel, kernel, stride, stride, pad, pad);
        var fold = kernel > 1 ? ConvStemFold.Plan(p) : null;
        bool folds = fold is not null && ConvMma.KTiles(fold.Folded) <= ConvMma.KTiles(Im2Col.GemmProblem(p, Im2Col.Columns(p)));
        long scratch = folds ? fold!.FoldedBytes : kernel > 1 ? (long)maxBatch * p.P * p.Q * Im2Col.Columns(p) : (long)maxBatch * h * w * ((c + 3) / 4 * 4);
        Assert.Equal(scratch, engine.Memory.ScratchBytes);
        var stem = engine.Layers.Single(l => l.Type == LayerType.Convolution);
        Assert.StartsWith(folds ? "stem_fold_quantize (input convert fused)" : kernel > 1 ? "im2col_s8" : "channel_pad_s8", stem.KernelName, StringComparison.Ordinal);
        string what = $"stem C={c} {h}×{w} K={k} {kernel}×{kernel}/{stride} pad {pad} on {device.Accelerator.AcceleratorType}";
        using var context = engine.CreateExecutionContext();
        TestNetworks.SameBits(PlanReference.Outputs(engine.Plan, inputs, maxBatch), context.Execute(inputs, maxBatch), what);

        // A smaller batch in the same context (the scratch sized for the maximum) and the launch count of the step.
        var one = inputs.ToDictionary(p => p.Key, p => p.Value[..(p.Value.Length / maxBatch)]);
        TestNetworks.SameBits(PlanReference.Outputs(engine.Plan, one, 1), context.Execute(one, 1), what + ", batch 1");
        var profile = context.Profile(one, 1);
        var conv = profile.Layers.Single(l => l.Type == LayerType.Convolution);
        Assert.Equal(kernel > 1 || c % 4 != 0 ? 2 : 1, conv.Launches);
        Assert.Equal(folds ? 0 : 1, profile.Layers[0].Launches);
    }
}
