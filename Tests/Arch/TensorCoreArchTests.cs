using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Tests.Infrastructure;
using Xunit;

namespace ILGPUInt8.Tests.Arch;

/// <summary>cp.async (with zero-fill) and ldmatrix.x4 against a host model: the emulation on the CPU, the PTX on CUDA.</summary>
public sealed class TensorCoreArchTests
{
    [Fact]
    public void Cp_async_and_ldmatrix_emulation_match_host_model_on_cpu() => Check(TestDevices.Cpu, seeds: 2);

    [Fact]
    [Trait("Category", "Gpu")]
    public void Cp_async_and_ldmatrix_ptx_match_host_model_on_gpu() => Check(TestDevices.Cuda, seeds: 20);

    /// <summary>
    /// One warp: lane l copies src[16l .. 16l + 15] into shared bytes [16l ..] keeping only its first (l mod 17) bytes
    /// (the rest zero-filled), then every lane runs ldmatrix.x4 with row address rowOffsets[l] (a permutation of the
    /// 32 rows of 16 bytes): output[4l + j] = register j.
    /// </summary>
    internal static void Probe(long srcAddress, ArrayView<sbyte> src, ArrayView<int> rowOffsets, ArrayView<int> output)
    {
        var shared = SharedMemory.GetDynamic<int>();
        uint sbase = SharedAddress.DynamicBase();
        int lane = Group.IdxX;
        CpAsync.Copy16(shared, sbase, 16 * lane, src, srcAddress, 16L * lane, lane % 17);
        CpAsync.CommitGroup();
        CpAsync.WaitAll();
        Group.Barrier();
        LdMatrix.X4(shared, sbase, rowOffsets[lane], out int r0, out int r1, out int r2, out int r3);
        output[4 * lane] = r0;
        output[(4 * lane) + 1] = r1;
        output[(4 * lane) + 2] = r2;
        output[(4 * lane) + 3] = r3;
    }

    private static void Check(Int8Device device, int seeds)
    {
        var kernel = device.GetKernel("test.arch.cpasync-ldmatrix", acc =>
            acc.LoadStreamKernel<long, ArrayView<sbyte>, ArrayView<int>, ArrayView<int>>(Probe));
        for (var seed = 0; seed < seeds; seed++)
        {
            var src = TestData.Int8(512, seed);
            var random = new Random(seed);
            var rows = Enumerable.Range(0, 32).OrderBy(_ => random.Next()).Select(r => 16 * r).ToArray();

            // Host model: shared bytes after the copies, then the ldmatrix distribution.
            var shared = new sbyte[512];
            for (var l = 0; l < 32; l++)
            {
                for (var i = 0; i < l % 17; i++)
                {
                    shared[(16 * l) + i] = src[(16 * l) + i];
                }
            }

            var expected = new int[128];
            for (var l = 0; l < 32; l++)
            {
                for (var j = 0; j < 4; j++)
                {
                    int address = rows[(8 * j) + (l >> 2)] + (4 * (l & 3));
                    expected[(4 * l) + j] = BitConverter.ToInt32((byte[])(Array)shared, address);
                }
            }

            using var dsrc = device.Accelerator.Allocate1D(src);
            using var drows = device.Accelerator.Allocate1D(rows);
            using var dout = device.Accelerator.Allocate1D<int>(128);
            long address0 = dsrc.NativePtr.ToInt64();
            kernel(new KernelConfig(1, 32, SharedMemoryConfig.RequestDynamic<int>(128)), address0, dsrc.View, drows.View, dout.View);
            device.Synchronize();
            Exact.Equal<int>(expected, dout.GetAsArray1D(), $"cp.async + ldmatrix seed {seed} on {device.Kind}");
        }
    }
}
