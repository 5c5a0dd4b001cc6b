using ILGPU.Runtime;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Pow2;
using ILGPUInt8.Kernels.Reference;
using ILGPUInt8.Tests.Infrastructure;
using ILGPUInt8.Tests.Onnx;
using ILGPUInt8.Training.Inq;
using ILGPUInt8.Training.Onnx;
using Xunit;

namespace ILGPUInt8.Tests.Pow2;

/// <summary>Nibble packing of power-of-two weights and the shift-add GEMM against the int8 reference GEMM.</summary>
public sealed class Pow2WeightTests
{
    private static float[] RandomPow2(int n, int seed, int lo, int exponents)
    {
        var random = new Random(seed);
        var w = new float[n];
        for (var i = 0; i < n; i++)
        {
            int code = random.Next(exponents + 1);
            w[i] = code == 0 ? 0 : MathF.ScaleB(random.Next(2) == 0 ? 1f : -1f, lo + code - 1);
        }

        return w;
    }

    [Fact]
    public void PackUnpackRoundTripsAndRefusesWhatDoesNotFit()
    {
        var w = RandomPow2(5 * 7, 1, -9, 7);
        w[0] = MathF.ScaleB(1f, -9);
        w[1] = -MathF.ScaleB(1f, -3);
        var packed = Pow2Nibbles.Pack(w, 5, 7);
        Assert.Equal(-9, packed.Base);
        Assert.Equal(4, packed.RowBytes);
        Assert.Equal(w, packed.ToFloats());
        Assert.Equal(64, Pow2Nibbles.Value(7));
        Assert.Equal(-1, Pow2Nibbles.Value(9));
        Assert.Equal(0, Pow2Nibbles.Value(8));
        Assert.Contains("not 0 or ±", Assert.Throws<ArgumentException>(() => Pow2Nibbles.Pack([0.3f, 1f], 1, 2)).Message);
        Assert.Contains("8", Assert.Throws<ArgumentException>(() => Pow2Nibbles.Pack([1f, 128f], 1, 2)).Message);
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(7, 5, 33)]
    [InlineData(64, 10, 144)]
    public void ShiftAddGemmEqualsTheInt8GemmOfTheUnpackedWeights(int m, int n, int k)
    {
        var random = new Random(m * 31 + k);
        var a = new sbyte[m * k];
        for (var i = 0; i < a.Length; i++)
        {
            a[i] = (sbyte)random.Next(-127, 128);
        }

        a[0] = -127;
        a[^1] = 127;
        var packed = Pow2Nibbles.Pack(RandomPow2(n * k, k, -6, 7), n, k);
        var problem = new GemmProblem(m, n, k);
        var expected = GemmReference.Accumulate(a, packed.Unpack(), problem);
        var device = TestDevices.Cpu;
        using var da = device.Accelerator.Allocate1D(a);
        using var dw = device.Accelerator.Allocate1D(packed.Packed);
        using var dc = device.Accelerator.Allocate1D<int>(m * n);
        GemmPow2ShiftAdd.Run(device, da.View, dw.View, dc.View, problem);
        Assert.Equal(expected, dc.GetAsArray1D());

        // The other path: unpack into int8 and run the project's int8 GEMM (dp4a / tensor cores on the GPU).
        using var db = device.Accelerator.Allocate1D(packed.Unpack());
        using var dc8 = device.Accelerator.Allocate1D<int>(m * n);
        GemmS8.Int32(device, da.View, db.View, dc8.View, problem);
        Assert.Equal(expected, dc8.GetAsArray1D());
    }

    [Fact]
    public void FashionCnnAfterFourBitInqPacksIntoNibbles()
    {
        var net = OnnxTrainable.Load(OnnxFixtures.FashionCnn);
        foreach (var w in IncrementalQuantizer.QuantizedWeights(net))
        {
            IncrementalQuantizer.Freeze(w, PowerOfTwo.ForLayer(w.Value.Max(MathF.Abs), 4), 1.0);
        }

        var report = Pow2ModelSize.Of(net);
        Assert.Equal(105_744, report.Weights);
        Assert.Equal(4 * report.Weights, report.Float32Bytes);
        Assert.True(report.NibbleBytes <= (report.Weights / 2) + 64, report.ToString());
    }
}
