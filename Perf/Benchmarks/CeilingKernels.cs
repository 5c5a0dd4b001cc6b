using ILGPU;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Quantization;

namespace ILGPUInt8.Perf.Benchmarks;

/// <summary>Instruction-throughput and copy kernels that measure the device's ceilings.</summary>
public static class CeilingKernels
{
    /// <summary>dp4a issued per thread per loop iteration (8 independent chains × 2).</summary>
    public const int Dp4aPerIteration = 16;

    /// <summary>m16n8k32 MMAs issued per warp per loop iteration (16 independent accumulator sets).</summary>
    public const int MmaPerIteration = 16;

    /// <summary>8 independent accumulator chains per thread; the result is stored only if it equals a value it never takes, so nothing is dead.</summary>
    public static void Dp4aThroughput(Index1D i, int a, int b, int iterations, ArrayView<int> sink)
    {
        int c0 = i, c1 = i + 1, c2 = i + 2, c3 = i + 3, c4 = i + 4, c5 = i + 5, c6 = i + 6, c7 = i + 7;
        int x = a ^ i;
        for (int k = 0; k < iterations; k++)
        {
            c0 = Dp4a.SS(x, b, c0);
            c1 = Dp4a.SS(x, b + 1, c1);
            c2 = Dp4a.SS(x, b + 2, c2);
            c3 = Dp4a.SS(x, b + 3, c3);
            c4 = Dp4a.SS(x, b + 4, c4);
            c5 = Dp4a.SS(x, b + 5, c5);
            c6 = Dp4a.SS(x, b + 6, c6);
            c7 = Dp4a.SS(x, b + 7, c7);
            c0 = Dp4a.SS(b, x, c0);
            c1 = Dp4a.SS(b + 1, x, c1);
            c2 = Dp4a.SS(b + 2, x, c2);
            c3 = Dp4a.SS(b + 3, x, c3);
            c4 = Dp4a.SS(b + 4, x, c4);
            c5 = Dp4a.SS(b + 5, x, c5);
            c6 = Dp4a.SS(b + 6, x, c6);
            c7 = Dp4a.SS(b + 7, x, c7);
        }

        int sum = c0 ^ c1 ^ c2 ^ c3 ^ c4 ^ c5 ^ c6 ^ c7;
        if (sum == 0x1234567)
        {
            sink[0] = sum;
        }
    }

    /// <summary>16 independent m16n8k32 accumulator sets per warp (64 int32 per thread).</summary>
    public static void MmaThroughput(int a, int b, int iterations, ArrayView<int> sink)
    {
        int lane = Group.IdxX;
        int x = a ^ lane, y = b + lane;
        int s0 = lane, s1 = 0, s2 = 0, s3 = 0;
        int t0 = 0, t1 = 0, t2 = 0, t3 = 0;
        int u0 = 0, u1 = 0, u2 = 0, u3 = 0;
        int v0 = 0, v1 = 0, v2 = 0, v3 = 0;
        int w0 = 0, w1 = 0, w2 = 0, w3 = 0;
        int e0 = 0, e1 = 0, e2 = 0, e3 = 0;
        int f0 = 0, f1 = 0, f2 = 0, f3 = 0;
        int g0 = 0, g1 = 0, g2 = 0, g3 = 0;
        int h0 = 0, h1 = 0, h2 = 0, h3 = 0;
        int j0 = 0, j1 = 0, j2 = 0, j3 = 0;
        int k0 = 0, k1 = 0, k2 = 0, k3 = 0;
        int l0 = 0, l1 = 0, l2 = 0, l3 = 0;
        int m0 = 0, m1 = 0, m2 = 0, m3 = 0;
        int n0 = 0, n1 = 0, n2 = 0, n3 = 0;
        int o0 = 0, o1 = 0, o2 = 0, o3 = 0;
        int p0 = 0, p1 = 0, p2 = 0, p3 = 0;
        for (int it = 0; it < iterations; it++)
        {
            Mma.M16N8K32(ref s0, ref s1, ref s2, ref s3, x, y, x, y, x, y);
            Mma.M16N8K32(ref t0, ref t1, ref t2, ref t3, y, x, x, y, x, y);
            Mma.M16N8K32(ref u0, ref u1, ref u2, ref u3, x, x, x, y, x, y);
            Mma.M16N8K32(ref v0, ref v1, ref v2, ref v3, y, y, x, y, x, y);
            Mma.M16N8K32(ref w0, ref w1, ref w2, ref w3, x, y, y, y, x, y);
            Mma.M16N8K32(ref e0, ref e1, ref e2, ref e3, x, y, x, x, x, y);
            Mma.M16N8K32(ref f0, ref f1, ref f2, ref f3, x, y, x, y, y, y);
            Mma.M16N8K32(ref g0, ref g1, ref g2, ref g3, x, y, x, y, x, x);
            Mma.M16N8K32(ref h0, ref h1, ref h2, ref h3, y, x, y, x, y, x);
            Mma.M16N8K32(ref j0, ref j1, ref j2, ref j3, y, y, y, x, y, x);
            Mma.M16N8K32(ref k0, ref k1, ref k2, ref k3, x, x, y, x, y, x);
            Mma.M16N8K32(ref l0, ref l1, ref l2, ref l3, y, x, x, x, y, x);
            Mma.M16N8K32(ref m0, ref m1, ref m2, ref m3, y, x, y, y, y, x);
            Mma.M16N8K32(ref n0, ref n1, ref n2, ref n3, y, x, y, x, x, x);
            Mma.M16N8K32(ref o0, ref o1, ref o2, ref o3, x, x, x, x, y, x);
            Mma.M16N8K32(ref p0, ref p1, ref p2, ref p3, y, y, y, y, y, y);
        }

        int sum = s0 ^ s1 ^ s2 ^ s3 ^ t0 ^ t1 ^ t2 ^ t3 ^ u0 ^ u1 ^ u2 ^ u3 ^ v0 ^ v1 ^ v2 ^ v3
            ^ w0 ^ w1 ^ w2 ^ w3 ^ e0 ^ e1 ^ e2 ^ e3 ^ f0 ^ f1 ^ f2 ^ f3 ^ g0 ^ g1 ^ g2 ^ g3
            ^ h0 ^ h1 ^ h2 ^ h3 ^ j0 ^ j1 ^ j2 ^ j3 ^ k0 ^ k1 ^ k2 ^ k3 ^ l0 ^ l1 ^ l2 ^ l3
            ^ m0 ^ m1 ^ m2 ^ m3 ^ n0 ^ n1 ^ n2 ^ n3 ^ o0 ^ o1 ^ o2 ^ o3 ^ p0 ^ p1 ^ p2 ^ p3;
        if (sum == 0x1234567)
        {
            sink[0] = sum;
        }
    }

    /// <summary>dst[i] = src[i], 16 bytes a thread.</summary>
    public static void Copy16(Index1D i, ArrayView<Int4> src, ArrayView<Int4> dst) => dst[i] = src[i];

    /// <summary>dst[2i..2i+1] = src[2i..2i+1], 32 bytes a thread (both loads issued before the stores).</summary>
    public static void Copy32(Index1D i, ArrayView<Int4> src, ArrayView<Int4> dst)
    {
        Int4 a = src[2 * i], b = src[(2 * i) + 1];
        dst[2 * i] = a;
        dst[(2 * i) + 1] = b;
    }
}
