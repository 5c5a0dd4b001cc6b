using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Tests.Infrastructure;
using ILGPUInt8.Tests.Onnx;
using ILGPUInt8.Training;
using ILGPUInt8.Training.Inq;
using ILGPUInt8.Training.Onnx;
using Xunit;

namespace ILGPUInt8.Tests.Training;

/// <summary>
/// Training on an ILGPU device (<see cref="TrainingDevice"/>: GEMMs in <c>GemmF32Fma</c>) gives the host SGEMM's losses
/// and weights bit for bit after SGD steps with a fixed seed: on the CPU accelerator here, on CUDA on the GPU machine.
/// </summary>
public sealed class TrainingDeviceTests
{
    [Fact]
    public void Tiny_cnn_sgd_steps_on_the_cpu_accelerator_match_the_host_bit_for_bit()
    {
        using var accelerator = TrainingDevice.On(TestDevices.Cpu);
        var (hostLosses, hostWeights) = TinySteps(TrainingDevice.Host);
        var (losses, weights) = TinySteps(accelerator);
        Assert.Equal(hostLosses, losses);
        Exact.EqualBits(hostWeights, weights, "tiny CNN weights after 4 SGD steps, CPU accelerator vs host");
    }

    [Fact]
    public void Fashion_cnn_steps_on_the_cpu_accelerator_match_the_host_bit_for_bit()
    {
        var data = LabelledImages.LoadShipped(OnnxFixtures.RepositoryRoot).Slice(0, 4);
        using var accelerator = TrainingDevice.On(TestDevices.Cpu);
        Assert.Equal(Epoch(TrainingDevice.Host, data, 2), Epoch(accelerator, data, 2));
    }

    [Fact]
    public void Every_gemm_form_matches_the_host_on_the_cpu_accelerator()
    {
        using var device = TrainingDevice.On(TestDevices.Cpu);
        var host = TrainingDevice.Host;
        float[] R(int n, int seed) => TestData.Float(n, seed, 1.5f);

        // Convolution (padding 1 and 0) with and without a bias, and its weight gradient, over 2 × 5 × 7 × 3 inputs.
        foreach (var pad in new[] { 1, 0 })
        {
            var p = new ConvProblem(2, 3, 5, 7, 4, 3, 3, PadH: pad, PadW: pad);
            var (x, w, b) = (R(2 * 5 * 7 * 3, 1), R(4 * 27, 2), R(4, 3));
            int m = 2 * p.P * p.Q;
            foreach (var bias in new[] { b, [] })
            {
                float[] expected = new float[m * 4], actual = new float[m * 4];
                host.Convolve(x, p, w, bias, expected);
                device.Convolve(x, p, w, bias, actual);
                Exact.EqualBits(expected, actual, $"conv pad {pad} bias {bias.Length}");
            }

            var dy = R(m * 4, 4);
            float[] dwHost = new float[4 * 27], dwDevice = new float[4 * 27];
            host.ConvolveWeightGradient(dy, x, p, dwHost);
            device.ConvolveWeightGradient(dy, x, p, dwDevice);
            Exact.EqualBits(dwHost, dwDevice, $"conv weight gradient pad {pad}");
        }

        // Aᵀ · B and A · B across a tile edge (m = 70).
        var (a, bb) = (R(9 * 70, 5), R(9 * 13, 6));
        float[] h1 = new float[70 * 13], d1 = new float[70 * 13];
        host.MultiplyTransposedA(a, 9, 70, bb, 13, h1);
        device.MultiplyTransposedA(a, 9, 70, bb, 13, d1);
        Exact.EqualBits(h1, d1, "Aᵀ · B");
        var a2 = R(70 * 9, 7);
        float[] h2 = new float[70 * 13], d2 = new float[70 * 13];
        host.Multiply(a2, 70, 9, bb, 13, h2);
        device.Multiply(a2, 70, 9, bb, 13, d2);
        Exact.EqualBits(h2, d2, "A · B");
    }

    [Fact]
    public void Open_picks_the_host_for_cpu_and_names_the_device()
    {
        using var cpu = TrainingDevice.Open(DeviceKind.Cpu);
        Assert.Same(TrainingDevice.Host, cpu);
        Assert.Null(cpu.Accelerator);
        Assert.StartsWith("CPU (SGEMM", cpu.Description, StringComparison.Ordinal);
        using var auto = TrainingDevice.Open(DeviceKind.Auto);
        Assert.Equal(Int8Device.CudaPreferred, auto.Accelerator is { IsCuda: true });
        var net = TinyNetworks.Cnn(1);
        Assert.Same(TrainingDevice.Host, net.Device);
        Assert.Throws<ArgumentNullException>(() => net.Device = null!);
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Fashion_cnn_epoch_on_cuda_matches_the_host_bit_for_bit()
    {
        _ = TestDevices.Cuda;
        var data = LabelledImages.LoadShipped(OnnxFixtures.RepositoryRoot).Slice(0, 256);
        using var cuda = TrainingDevice.Open(DeviceKind.Cuda);
        Assert.True(cuda.Accelerator is { IsCuda: true }, cuda.Description);
        Assert.Equal(Epoch(TrainingDevice.Host, data, 64), Epoch(cuda, data, 64));
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Inq_on_cuda_gives_the_host_weights_and_table()
    {
        _ = TestDevices.Cuda;
        var data = LabelledImages.LoadShipped(OnnxFixtures.RepositoryRoot);
        var (train, test) = (data.Slice(0, 256), data.Slice(2000, 200));
        (float[] Weights, double[] Table) Run(DeviceKind kind)
        {
            var net = OnnxTrainable.Load(OnnxFixtures.FashionCnn);
            var options = new InqOptions { Bits = 4, EpochsPerStep = 0.25, BatchSize = 32, LearningRate = 0.005f, Device = kind };
            var rows = IncrementalQuantizer.Run(net, train, test, options);
            Assert.Same(TrainingDevice.Host, net.Device);
            return ([.. net.Parameters.SelectMany(p => p.Value)], [.. rows.SelectMany(r => new[] { r.Top1, r.TrainLoss })]);
        }

        var host = Run(DeviceKind.Cpu);
        var cuda = Run(DeviceKind.Cuda);
        Exact.EqualBits(host.Weights, cuda.Weights, "INQ weights, CUDA vs host");
        Assert.Equal(host.Table, cuda.Table);
    }

    // Four SGD steps of TinyNetworks.Cnn on seeded 6 × 6 inputs (batch 5): the losses and every parameter after.
    private static (double[] Losses, float[] Weights) TinySteps(TrainingDevice device)
    {
        var net = TinyNetworks.Cnn(11);
        net.Device = device;
        var random = new Random(3);
        var sgd = new SgdMomentum(0.05f);
        var losses = new double[4];
        for (var step = 0; step < losses.Length; step++)
        {
            var x = Enumerable.Range(0, 5 * 36).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
            var y = Enumerable.Range(0, 5).Select(_ => (byte)random.Next(3)).ToArray();
            losses[step] = net.ComputeGradients(x, y);
            sgd.Step(net.Parameters);
        }

        return (losses, [.. net.Parameters.SelectMany(p => p.Value)]);
    }

    // One seeded epoch of the Fashion CNN on `device`: the mean loss's bits, then every parameter's bits.
    private static int[] Epoch(TrainingDevice device, LabelledImages data, int batch)
    {
        var net = OnnxTrainable.Load(OnnxFixtures.FashionCnn);
        net.Device = device;
        double loss = Trainer.Epoch(net, data, new SgdMomentum(0.01f), batch, seed: 7);
        long bits = BitConverter.DoubleToInt64Bits(loss);
        return [(int)bits, (int)(bits >> 32), .. net.Parameters.SelectMany(p => p.Value).Select(BitConverter.SingleToInt32Bits)];
    }
}
