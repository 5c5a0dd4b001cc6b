using ILGPU.Runtime;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Layers.Runtime;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Precision;

/// <summary>
/// The FP16 store (round-to-nearest-even to the nearest half, kept as a float) at its edges, written out by hand: ties
/// to even, subnormals, overflow to ∞, signed zero and NaN; the same bits from <see cref="HalfConvert.Round(float)"/>,
/// the <see cref="HalfRound"/> kernel (on the CPU accelerator) and the CPU backend's <see cref="HostConvert.RoundToHalf"/>.
/// </summary>
public sealed class HalfRoundTests
{
    private static readonly (float X, float Half)[] Edges =
    [
        (1f, 1f),
        (1f + MathF.Pow(2, -11), 1f),                                 // tie between 1 and 1 + 2^−10: the even one, 1
        (1f + (3 * MathF.Pow(2, -11)), 1f + MathF.Pow(2, -9)),         // tie between 1 + 2^−10 and 1 + 2^−9: the even one
        (1f + MathF.Pow(2, -11) + MathF.Pow(2, -20), 1f + MathF.Pow(2, -10)), // above the tie: up
        (-2049f, -2048f),                                             // tie at 2048 (ulp 2): even mantissa
        (2051f, 2052f),
        (65504f, 65504f),                                             // the largest half
        (65519.996f, 65504f),                                         // below the overflow threshold
        (65520f, float.PositiveInfinity),                             // the tie at 65520 rounds to ∞
        (-1e10f, float.NegativeInfinity),
        (MathF.Pow(2, -24), MathF.Pow(2, -24)),                       // the smallest subnormal
        (MathF.Pow(2, -25), 0f),                                      // tie between 0 and 2^−24: 0
        (3 * MathF.Pow(2, -25), 2 * MathF.Pow(2, -24)),               // tie between 2^−24 and 2^−23: 2^−23
        (-MathF.Pow(2, -26), -0f),                                    // underflow keeps the sign
        (6.1035156E-05f, 6.1035156E-05f),                             // 2^−14, the smallest normal
        (6.1035156E-05f - MathF.Pow(2, -25), 6.1035156E-05f),         // the tie below it: up to the even normal
        (0.1f, 0.0999755859375f),
        (-0f, -0f),
        (float.PositiveInfinity, float.PositiveInfinity),
    ];

    [Fact]
    public void Half_round_ties_to_even_keeps_subnormals_and_overflows_to_infinity()
    {
        foreach (var (x, half) in Edges)
        {
            Assert.Equal(BitConverter.SingleToInt32Bits(half), BitConverter.SingleToInt32Bits(HalfConvert.Round(x)));
            Assert.Equal(BitConverter.SingleToInt32Bits((float)(Half)x), BitConverter.SingleToInt32Bits(half));
        }

        Assert.True(float.IsNaN(HalfConvert.Round(float.NaN)));
    }

    [Fact]
    public unsafe void The_kernel_and_the_cpu_backend_round_the_same_bits()
    {
        var random = new Random(15);
        var x = Edges.Select(e => e.X).Concat(Enumerable.Range(0, 5000).Select(_ => BitConverter.Int32BitsToSingle(random.Next(0x33000000, 0x47900000) | (random.Next(2) << 31)))).ToArray();
        var expected = x.Select(v => (float)(Half)v).ToArray();

        using var buffer = TestDevices.Cpu.Accelerator.Allocate1D(x);
        using var output = TestDevices.Cpu.Accelerator.Allocate1D<float>(x.Length);
        HalfRound.Run(TestDevices.Cpu, buffer.View, output.View, x.Length);
        TestDevices.Cpu.Synchronize();
        Exact.EqualBits(expected, output.GetAsArray1D(), "HalfRound kernel");

        var host = new float[x.Length];
        fixed (float* px = x, py = host)
        {
            HostConvert.RoundToHalf(px, py, x.Length);
        }

        Exact.EqualBits(expected, host, "HostConvert.RoundToHalf");
    }
}
