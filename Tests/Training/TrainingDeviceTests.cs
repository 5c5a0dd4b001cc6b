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
        var data = LabelledImages.LoadShipped(OnnxFixtures.RepositoryRoot).Slice(0, 6);
        using var accelerator = TrainingDevice.On(TestDevices.Cpu);
        Assert.Equal(Epoch(TrainingDevice.Host, data, 3), Epoch(accelerator, data, 3));
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
