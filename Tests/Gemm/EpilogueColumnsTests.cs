using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Gemm;

/// <summary>
/// Every epilogue's column-bound form, <c>Apply4(row, col, LoadColumns4(col), …)</c> (what the halo convolution runs,
/// its per-channel parameters read once a tile), against its element form <c>Apply(row, col, acc)</c>, bit for bit:
/// random accumulators with the int32 edges, biases large enough that acc + bias leaves int32, operands at aligned and
/// unaligned addresses, float accumulators with ±0, ±∞ and NaN.
/// </summary>
public sealed class EpilogueColumnsTests
{
    private const int Rows = 37;
    private const int N = 24;

    [Fact]
    public void Column_bound_apply_matches_element_apply_on_cpu() => CheckAll(TestDevices.Cpu);

    [Fact]
    [Trait("Category", "Gpu")]
    public void Column_bound_apply_matches_element_apply_on_gpu() => CheckAll(TestDevices.Cuda);

    // Thread t finishes (row, col..col+3) through the column-bound form, reading the operand as the halo kernel does.
    internal static void ColumnsKernel<TEpilogue>(Index1D t, ArrayView<int> acc, TEpilogue epilogue)
        where TEpilogue : struct, IGemmEpilogue
    {
        int row = t / (N / 4), col = 4 * (t % (N / 4));
        int i = (row * N) + col;
        var operand = epilogue.Operand;
        int packed = operand.View.Length > 0 ? operand.Read4(row, col) : 0;
        epilogue.Apply4(row, col, epilogue.LoadColumns4(col), acc[i], acc[i + 1], acc[i + 2], acc[i + 3], packed);
    }

    // Thread t finishes element (row, col) alone.
    internal static void ElementKernel<TEpilogue>(Index1D t, ArrayView<int> acc, TEpilogue epilogue)
        where TEpilogue : struct, IGemmEpilogue =>
        epilogue.Apply(t / N, t % N, acc[t]);

    private static void CheckAll(Int8Device device)
    {
        var random = new Random(20261207);
        var accs = new int[Rows * N];
        for (int i = 0; i < accs.Length; i++)
        {
            accs[i] = (i % 9) switch
            {
                0 => int.MaxValue,
                1 => int.MinValue,
                2 => random.Next(-3, 4),
                _ => random.Next(int.MinValue, int.MaxValue),
            };
        }

        // Float accumulators as bits: random values with the special ones mixed in.
        float[] specials = [0f, -0f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, 65504f, 65520f, -1e-8f];
        var floatAccs = accs.Select((_, i) => BitConverter.SingleToInt32Bits(i % 5 == 0 ? specials[(i / 5) % specials.Length] : (float)((random.NextDouble() * 200) - 100))).ToArray();

        int[] bias = [.. Enumerable.Range(0, N).Select(k => k % 4 == 0 ? (k % 8 == 0 ? int.MaxValue : int.MinValue) : random.Next(-100_000, 100_000))];
        float[] multiplier = [.. Enumerable.Range(0, N).Select(k => (float)(random.NextDouble() * 1e-3))];
        float[] floatBias = [.. Enumerable.Range(0, N).Select(k => k % 3 == 0 ? -0f : (float)((random.NextDouble() * 8) - 4))];
        sbyte[] lut = [.. Enumerable.Range(0, 256).Select(v => (sbyte)(127 - (v / 2)))];
        var channels = FixedPointChannel.Create(bias, [.. multiplier.Select(m => (double)m)]);
        var skip = TestData.Int8((Rows * N) + 4, seed: 9);

        using var dAcc = device.Accelerator.Allocate1D(accs);
        using var dFloatAcc = device.Accelerator.Allocate1D(floatAccs);
        using var dBias = device.Accelerator.Allocate1D(bias);
        using var dMultiplier = device.Accelerator.Allocate1D(multiplier);
        using var dFloatBias = device.Accelerator.Allocate1D(floatBias);
        using var dLut = device.Accelerator.Allocate1D(lut);
        using var dChannels = device.Accelerator.Allocate1D(channels);
        using var dSkip = device.Accelerator.Allocate1D(skip);
        using var y8 = device.Accelerator.Allocate1D<sbyte>(Rows * N);
        using var y32 = device.Accelerator.Allocate1D<int>(Rows * N);
        using var y16 = device.Accelerator.Allocate1D<ushort>(Rows * N);

        var sum = new ResidualSum(1 << 14, 3 << 13, 15, 0);
        var skipView = dSkip.View.SubView(0, Rows * N);
        var skipOdd = dSkip.View.SubView(1, Rows * N);
        var acc = dAcc.View;
        var facc = dFloatAcc.View;
        var y = new Outputs(y8, y32, y16);

        Check(device, y, acc, "int32", new Int32Epilogue(y32.View, N));
        Check(device, y, acc, "atomic add", new AtomicAddEpilogue(y32.View, N));
        Check(device, y, acc, "requantize", new RequantizeEpilogue(y8.View, N, dMultiplier.View, dBias.View, -127));
        Check(device, y, acc, "requantize relu", new RequantizeEpilogue(y8.View, N, dMultiplier.View, dBias.View, 0));
        Check(device, y, acc, "lut", new RequantizeLutEpilogue(y8.View, N, dMultiplier.View, dBias.View, dLut.View));
        Check(device, y, acc, "dequantize", new DequantizeEpilogue(y32.View.AsContiguous().Cast<float>(), N, dMultiplier.View, 0f));
        Check(device, y, acc, "dequantize beta", new DequantizeEpilogue(y32.View.AsContiguous().Cast<float>(), N, dMultiplier.View, 0.5f));
        Check(device, y, acc, "fixed point", new FixedPointRequantizeEpilogue(y8.View, N, dChannels.View, 0, dLut.View, 0));
        Check(device, y, acc, "fixed point lut", new FixedPointRequantizeEpilogue(y8.View, N, dChannels.View, -127, dLut.View, 1));
        Check(device, y, acc, "fixed point sum", new FixedPointRequantizeSumEpilogue(y8.View, N, dChannels.View, skipView, N, sum));
        Check(device, y, acc, "residual", new ResidualRequantizeEpilogue(y8.View, N, dMultiplier.View, dBias.View, 0, skipView, N, 0.25f));
        Check(device, y, acc, "sum, no address", new RequantizeSumEpilogue(y8.View, N, dMultiplier.View, dBias.View, skipView, N, sum));
        Check(device, y, acc, "sum, aligned", new RequantizeSumEpilogue(y8.View, N, dMultiplier.View, dBias.View, skipView, N, sum) { SkipAddress = OperandTile.DeviceAddress(skipView) });
        Check(device, y, acc, "sum, unaligned", new RequantizeSumEpilogue(y8.View, N, dMultiplier.View, dBias.View, skipOdd, N, sum) { SkipAddress = OperandTile.DeviceAddress(skipOdd) });
        Check(device, y, facc, "float out", new FloatBitsEpilogue<FloatOutEpilogue>(new(y32.View.AsContiguous().Cast<float>(), N, dFloatBias.View, FloatEpilogue.NoClamp)));
        Check(device, y, facc, "float out, no bias, relu", new FloatBitsEpilogue<FloatOutEpilogue>(new(y32.View.AsContiguous().Cast<float>(), N, ArrayView<float>.Empty, FloatEpilogue.Relu)));
        Check(device, y, facc, "half out", new FloatBitsEpilogue<HalfOutEpilogue>(new(y16.View, N, dFloatBias.View, FloatEpilogue.Relu)));
        Check(device, y, facc, "half out, no bias", new FloatBitsEpilogue<HalfOutEpilogue>(new(y16.View, N, ArrayView<float>.Empty, FloatEpilogue.NoClamp)));
        Check(device, y, facc, "half rounded", new FloatBitsEpilogue<HalfRoundedOutEpilogue>(new(y32.View.AsContiguous().Cast<float>(), N, dFloatBias.View, FloatEpilogue.NoClamp)));
    }

    // Runs both forms from the same starting outputs and compares every output buffer's bytes.
    private static void Check<TEpilogue>(Int8Device device, Outputs y, ArrayView<int> acc, string name, TEpilogue epilogue)
        where TEpilogue : struct, IGemmEpilogue
    {
        var element = device.Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, TEpilogue>(ElementKernel);
        var columns = device.Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, TEpilogue>(ColumnsKernel);
        y.Reset();
        var (b8, b32, b16) = y.Read();
        element(Rows * N, acc, epilogue);
        device.Synchronize();
        var (e8, e32, e16) = y.Read();
        Assert.False(e8.SequenceEqual(b8) && e32.SequenceEqual(b32) && e16.SequenceEqual(b16), $"{name}: the element form wrote nothing");
        y.Reset();
        columns(Rows * N / 4, acc, epilogue);
        device.Synchronize();
        var (c8, c32, c16) = y.Read();
        string what = $"{name} on {device.Kind}";
        Exact.Equal<sbyte>(e8, c8, what);
        Exact.Equal<int>(e32, c32, what);
        Exact.Equal<ushort>(e16, c16, what);
    }

    // The three output buffers, filled with the same nonzero pattern before each run (a beta epilogue reads it).
    private sealed record Outputs(MemoryBuffer1D<sbyte, Stride1D.Dense> Y8, MemoryBuffer1D<int, Stride1D.Dense> Y32, MemoryBuffer1D<ushort, Stride1D.Dense> Y16)
    {
        public void Reset()
        {
            Y8.View.CopyFromCPU(Enumerable.Range(0, Rows * N).Select(i => (sbyte)((i % 7) - 3)).ToArray());
            Y32.View.CopyFromCPU(Enumerable.Range(0, Rows * N).Select(i => BitConverter.SingleToInt32Bits((i % 5) - 2f)).ToArray());
            Y16.View.CopyFromCPU(Enumerable.Range(0, Rows * N).Select(i => (ushort)(i * 31)).ToArray());
        }

        public (sbyte[] Y8, int[] Y32, ushort[] Y16) Read() => (Y8.GetAsArray1D(), Y32.GetAsArray1D(), Y16.GetAsArray1D());
    }
}
