using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Reference;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Ops;

public sealed class ElementWiseOpTests
{
    public static TheoryData<ActivationKind> Kinds() => [.. Enum.GetValues<ActivationKind>()];

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Float_activation_matches_reference(ActivationKind kind) => CheckActivation(TestDevices.Cpu, new ActivationSpec(kind, -0.5f, 0.75f), 300);

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Int8_activation_table_matches_reference(ActivationKind kind) => CheckLut(TestDevices.Cpu, new ActivationSpec(kind, 0.1f, 2f), 300);

    [Fact]
    public void Relu_table_with_equal_scales_is_max_of_q_and_zero()
    {
        foreach (var s in new[] { 0.001f, 0.0173f, 0.5f, 3f })
        {
            var lut = Int8LookupTable.ForActivation(ActivationSpec.Relu, s, s);
            for (var q = -127; q <= 127; q++)
            {
                Assert.Equal(Math.Max(q, 0), lut[q + 128]);
            }
        }
    }

    [Fact]
    public void Tanh_table_rounds_the_exact_function()
    {
        float sIn = 4f / 127, sOut = 1f / 127;
        var lut = Int8LookupTable.ForActivation(new ActivationSpec(ActivationKind.Tanh), sIn, sOut);
        for (var q = -127; q <= 127; q++)
        {
            var exact = Math.Tanh(q * (double)sIn) / sOut;
            Assert.True(Math.Abs(lut[q + 128] - exact) <= 0.5 + 1e-4, $"q={q}: {lut[q + 128]} vs {exact}");
        }
    }

    [Theory]
    [InlineData(ElementWiseOperation.Sum, false)]
    [InlineData(ElementWiseOperation.Sum, true)]
    [InlineData(ElementWiseOperation.Product, false)]
    [InlineData(ElementWiseOperation.Max, true)]
    public void Float_and_int8_binary_match_reference(ElementWiseOperation op, bool relu)
    {
        CheckFloat(TestDevices.Cpu, op, relu ? ActivationSpec.Relu : ActivationSpec.None, 210, 210);
        CheckFloat(TestDevices.Cpu, op, ActivationSpec.None, 210, 21);
        CheckInt8(TestDevices.Cpu, op, relu, 210, 210); // bytes (length not a multiple of 4)
        CheckInt8(TestDevices.Cpu, op, relu, 212, 212); // words of 4 bytes
        CheckInt8(TestDevices.Cpu, op, relu, 208, 208); // vectors of 16 bytes
        CheckInt8(TestDevices.Cpu, op, relu, 210, 30);
    }

    [Fact]
    public void Int8_sum_is_within_one_of_the_exact_sum()
    {
        float sa = 0.021f, sb = 0.0133f, sy = 0.03f;
        var (ma, mb, k) = Int8ElementWise.SumParameters(sa, sb, sy);
        for (var a = -127; a <= 127; a += 3)
        {
            for (var b = -127; b <= 127; b += 5)
            {
                var exact = Math.Clamp(((a * (double)sa) + (b * (double)sb)) / sy, -127, 127);
                Assert.True(Math.Abs(Int8ElementWise.Sum(a, b, ma, mb, k, -127) - exact) <= 0.5 + 1e-6, $"a={a} b={b}");
            }
        }
    }

    [Fact]
    public void Scale_modes_match_reference()
    {
        var device = TestDevices.Cpu;
        int c = 3, hw = 4, n = 2;
        var x = TestData.Float(n * c * hw, 40, 2f);
        foreach (var (count, power) in new[] { (1, false), (c, false), (c * hw, true), (c, true) })
        {
            var scale = TestData.Float(count, 41);
            var shift = TestData.Float(count, 42).Select(v => v + 3f).ToArray();
            var pw = Enumerable.Range(0, count).Select(i => 1f + (0.5f * (i % 3))).ToArray();
            // The kernel indexes parameters by i mod count (NHWC element order); the reference uses the same rule.
            var expected = ElementWiseReference.Scale(x, scale, shift, power ? pw : [], i => i % count);
            using var dx = OpTestDevice.Upload(device, x);
            using var ds = OpTestDevice.Upload(device, scale);
            using var dh = OpTestDevice.Upload(device, shift);
            using var dp = OpTestDevice.Upload(device, pw);
            using var dy = OpTestDevice.Zeros<float>(device, x.Length);
            Scale.Float(device, dx.View, dy.View, ds.View, dh.View, dp.View, count, power);
            Close.Equal(expected, OpTestDevice.Read(device, dy), $"scale count={count} power={power}");
        }
    }

    [Fact]
    [Trait("Category", "Gpu")]
    public void Element_wise_on_gpu_matches_reference()
    {
        var device = TestDevices.Cuda;
        foreach (var kind in Enum.GetValues<ActivationKind>())
        {
            CheckActivation(device, new ActivationSpec(kind, -0.5f, 0.75f), 100_003);
            CheckLut(device, new ActivationSpec(kind, 0.1f, 2f), 100_003);
        }

        foreach (var op in Enum.GetValues<ElementWiseOperation>())
        {
            CheckFloat(device, op, ActivationSpec.Relu, 100_000, 1000);
            CheckInt8(device, op, true, 100_000, 100_000);
            CheckInt8(device, op, false, 100_002, 100_002);
            CheckInt8(device, op, true, 100_004, 100_004); // words, not 16-byte vectors
            CheckInt8(device, op, false, 100_000, 1000);
        }
    }

    private static void CheckActivation(Int8Device device, ActivationSpec act, int length)
    {
        var x = TestData.Float(length, 5, 6f);
        var expected = ElementWiseReference.Activation(x, act);
        using var dx = OpTestDevice.Upload(device, x);
        using var dy = OpTestDevice.Zeros<float>(device, length);
        Activation.Float(device, dx.View, dy.View, act);
        Close.Equal(expected, OpTestDevice.Read(device, dy), $"activation {act} on {device.Kind}", device.IsCuda ? 1e-4f : 1e-5f, 1e-6f);
    }

    private static void CheckLut(Int8Device device, ActivationSpec act, int length)
    {
        var x = TestData.Int8(length, 6);
        var lut = Int8LookupTable.ForActivation(act, 0.03f, 0.02f);
        var expected = ElementWiseReference.Lookup(x, lut);
        using var dx = OpTestDevice.Upload(device, x);
        using var dl = OpTestDevice.Upload(device, lut);
        using var dy = OpTestDevice.Zeros<sbyte>(device, length);
        Activation.Int8(device, dx.View, dy.View, dl.View);
        Exact.Equal<sbyte>(expected, OpTestDevice.Read(device, dy), $"table {act} on {device.Kind}");
    }

    private static void CheckFloat(Int8Device device, ElementWiseOperation op, ActivationSpec act, int length, int bLength)
    {
        var a = TestData.Float(length, 1);
        var b = TestData.Float(bLength, 2);
        var expected = ElementWiseReference.Float(a, b, op, act);
        using var da = OpTestDevice.Upload(device, a);
        using var db = OpTestDevice.Upload(device, b);
        using var dy = OpTestDevice.Zeros<float>(device, length);
        ElementWise.Float(device, da.View, db.View, dy.View, op, act);
        Close.Equal(expected, OpTestDevice.Read(device, dy), $"eltwise f32 {op} {act} b={bLength} on {device.Kind}", 1e-6f, 1e-7f);
    }

    private static void CheckInt8(Int8Device device, ElementWiseOperation op, bool relu, int length, int bLength)
    {
        var a = TestData.Int8(length, 3, -127);
        var b = TestData.Int8(bLength, 4, -127);
        float sa = 0.02f, sb = 0.011f, sy = op == ElementWiseOperation.Product ? 0.2f : 0.025f;
        var expected = ElementWiseReference.Int8(a, b, op, sa, sb, sy, relu);
        using var da = OpTestDevice.Upload(device, a);
        using var db = OpTestDevice.Upload(device, b);
        using var dy = OpTestDevice.Zeros<sbyte>(device, length);
        Int8ElementWise.Run(device, da.View, db.View, dy.View, op, sa, sb, sy, relu);
        Exact.Equal<sbyte>(expected, OpTestDevice.Read(device, dy), $"eltwise s8 {op} relu={relu} b={bLength} on {device.Kind}");
    }
}
