using ILGPU;
using ILGPUInt8.Kernels.Quantization;

namespace ILGPUInt8.Calibration.Histograms;

/// <summary>
/// The two device passes over one float tensor, split by the host into head (0-3 elements before the first
/// 16-byte boundary), 16-byte vectors and tail (0-3 elements). Grid-stride loops: thread g of G threads takes
/// vectors g, g+G, g+2G, g+3G per iteration (four 16-byte loads issued before any use), then the rest one at a
/// time; head[g] and tail[g] go to threads g &lt; 4.
/// <list type="bullet">
/// <item>Pass 1 (<see cref="Range"/>): range[0] = max |x| bits, range[1] = min |x| bits over finite x
/// (non-negative floats order like their int bits), reduced over each warp by shuffles, one atomic per warp.</item>
/// <item>Pass 2 (<see cref="Histogram"/>): counts[bin(|x|)] += 1 for finite x (<see cref="HistogramBinning.Bin"/>,
/// computed as <see cref="HistogramBinning.FastBin"/> with scale = 2048 / amax),
/// counts[2048] += NaN, counts[2049] += ±Inf. Each group counts into a private 2048 × int shared histogram (8 KB), bin 0
/// (the ReLU zeros) in a register; the group then adds its non-zero bins into the 64-bit global counts.</item>
/// </list>
/// </summary>
internal static class HistogramKernels
{
    /// <summary>Per-thread counts kept in registers: bin 0 and the non-finite values.</summary>
    internal struct LocalCounts
    {
        /// <summary>Finite values in bin 0.</summary>
        public int Zero;

        /// <summary>NaN values.</summary>
        public int NaN;

        /// <summary>±Inf values.</summary>
        public int Infinity;
    }

    /// <summary>Pass 1: range[0] = max(range[0], max |x| bits), range[1] = min(range[1], min |x| bits), finite x only.</summary>
    internal static void Range(ArrayView<Float4> vectors, ArrayView<float> head, ArrayView<float> tail, ArrayView<int> range, int fullIterations)
    {
        int threads = Grid.DimX * Group.DimX;
        int g = (Grid.IdxX * Group.DimX) + Group.IdxX;
        int hi = 0;
        int lo = HistogramBinning.InfinityBits;
        int i = g;
        for (int it = 0; it < fullIterations; it++)
        {
            Float4 v0 = vectors[i], v1 = vectors[i + threads], v2 = vectors[i + (2 * threads)], v3 = vectors[i + (3 * threads)];
            MinMax4(v0, ref lo, ref hi);
            MinMax4(v1, ref lo, ref hi);
            MinMax4(v2, ref lo, ref hi);
            MinMax4(v3, ref lo, ref hi);
            i += 4 * threads;
        }

        for (; i < vectors.IntLength; i += threads)
        {
            MinMax4(vectors[i], ref lo, ref hi);
        }

        if (g < head.IntLength)
        {
            MinMax(head[g], ref lo, ref hi);
        }

        if (g < tail.IntLength)
        {
            MinMax(tail[g], ref lo, ref hi);
        }

        for (int offset = Warp.WarpSize / 2; offset > 0; offset /= 2)
        {
            hi = IntrinsicMath.Max(hi, Warp.ShuffleDown(hi, offset));
            lo = IntrinsicMath.Min(lo, Warp.ShuffleDown(lo, offset));
        }

        if (Warp.LaneIdx == 0)
        {
            Atomic.Max(ref range[0], hi);
            Atomic.Min(ref range[1], lo);
        }
    }

    /// <summary>Pass 2: the 2048-bin |x| histogram over [0, amax] plus NaN/±Inf counts, added into counts.</summary>
    internal static void Histogram(ArrayView<Float4> vectors, ArrayView<float> head, ArrayView<float> tail, ArrayView<long> counts, float amax, float scale, int fullIterations)
    {
        var shared = SharedMemory.Allocate<int>(HistogramBinning.Bins);
        for (int b = Group.IdxX; b < HistogramBinning.Bins; b += Group.DimX)
        {
            shared[b] = 0;
        }

        Group.Barrier();

        int threads = Grid.DimX * Group.DimX;
        int g = (Grid.IdxX * Group.DimX) + Group.IdxX;
        var local = default(LocalCounts);
        int i = g;
        for (int it = 0; it < fullIterations; it++)
        {
            Float4 v0 = vectors[i], v1 = vectors[i + threads], v2 = vectors[i + (2 * threads)], v3 = vectors[i + (3 * threads)];
            Count4(v0, amax, scale, shared, ref local);
            Count4(v1, amax, scale, shared, ref local);
            Count4(v2, amax, scale, shared, ref local);
            Count4(v3, amax, scale, shared, ref local);
            i += 4 * threads;
        }

        for (; i < vectors.IntLength; i += threads)
        {
            Count4(vectors[i], amax, scale, shared, ref local);
        }

        if (g < head.IntLength)
        {
            Count(head[g], amax, scale, shared, ref local);
        }

        if (g < tail.IntLength)
        {
            Count(tail[g], amax, scale, shared, ref local);
        }

        if (local.Zero != 0)
        {
            Atomic.Add(ref shared[0], local.Zero);
        }

        if (local.NaN != 0)
        {
            Atomic.Add(ref counts[HistogramBinning.NaNSlot], (long)local.NaN);
        }

        if (local.Infinity != 0)
        {
            Atomic.Add(ref counts[HistogramBinning.InfinitySlot], (long)local.Infinity);
        }

        Group.Barrier();
        for (int b = Group.IdxX; b < HistogramBinning.Bins; b += Group.DimX)
        {
            int c = shared[b];
            if (c != 0)
            {
                Atomic.Add(ref counts[b], (long)c);
            }
        }
    }

    private static void MinMax4(Float4 v, ref int lo, ref int hi)
    {
        MinMax(v.X, ref lo, ref hi);
        MinMax(v.Y, ref lo, ref hi);
        MinMax(v.Z, ref lo, ref hi);
        MinMax(v.W, ref lo, ref hi);
    }

    /// <summary>Finite x (|x| bits &lt; +Inf bits): lo = min(lo, bits), hi = max(hi, bits).</summary>
    private static void MinMax(float x, ref int lo, ref int hi)
    {
        int bits = HistogramBinning.AbsBits(x);
        if (bits < HistogramBinning.InfinityBits)
        {
            hi = IntrinsicMath.Max(hi, bits);
            lo = IntrinsicMath.Min(lo, bits);
        }
    }

    private static void Count4(Float4 v, float amax, float scale, ArrayView<int> shared, ref LocalCounts local)
    {
        Count(v.X, amax, scale, shared, ref local);
        Count(v.Y, amax, scale, shared, ref local);
        Count(v.Z, amax, scale, shared, ref local);
        Count(v.W, amax, scale, shared, ref local);
    }

    /// <summary>Finite x → bin(|x|) (bin 0 in a register, others by a shared atomic); NaN and ±Inf counted apart.</summary>
    private static void Count(float x, float amax, float scale, ArrayView<int> shared, ref LocalCounts local)
    {
        int bits = HistogramBinning.AbsBits(x);
        if (bits < HistogramBinning.InfinityBits)
        {
            int bin = HistogramBinning.FastBin(Interop.IntAsFloat((uint)bits), amax, scale);
            if (bin == 0)
            {
                local.Zero++;
            }
            else
            {
                Atomic.Add(ref shared[bin], 1);
            }
        }
        else if (bits > HistogramBinning.InfinityBits)
        {
            local.NaN++;
        }
        else
        {
            local.Infinity++;
        }
    }
}
