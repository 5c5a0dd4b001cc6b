using ILGPU;

namespace ILGPUInt8.Calibration.Histograms;

/// <summary>
/// Device kernels of the two-pass histogram: pass 1 the largest finite |x| (atomic max on the float's bits, which
/// order like the values for non-negative floats), pass 2 the counts, privatised per group in shared memory
/// (2048 32-bit counters) and flushed into 64-bit global counts. Slots 2048 and 2049 of the counts hold NaN and ±Inf.
/// </summary>
internal static class HistogramKernels
{
    /// <summary>Threads per group.</summary>
    public const int GroupSize = 256;

    /// <summary>amaxBits[0] = max over finite x of bits(|x|).</summary>
    public static void Amax(ArrayView<float> x, ArrayView<int> amaxBits, int length)
    {
        ref int groupMax = ref SharedMemory.Allocate<int>();
        if (Group.IsFirstThread)
        {
            groupMax = 0;
        }

        Group.Barrier();
        int stride = Grid.DimX * Group.DimX;
        int local = 0;
        for (int i = Grid.GlobalIndex.X; i < length; i += stride)
        {
            int bits = (int)Interop.FloatAsInt(x[i]) & 0x7FFFFFFF;
            // Finite non-negative floats have bits < 0x7F800000 (Inf), NaN above it.
            if (bits < 0x7F800000 && bits > local)
            {
                local = bits;
            }
        }

        Atomic.Max(ref groupMax, local);
        Group.Barrier();
        if (Group.IsFirstThread)
        {
            Atomic.Max(ref amaxBits[0], groupMax);
        }
    }

    /// <summary>counts[bin(x)] += 1 for finite x; counts[2048] NaN, counts[2049] ±Inf.</summary>
    public static void Count(ArrayView<float> x, ArrayView<long> counts, float amax, int length)
    {
        var shared = SharedMemory.Allocate<int>(TensorHistogram.Bins + 2);
        for (int b = Group.IdxX; b < TensorHistogram.Bins + 2; b += Group.DimX)
        {
            shared[b] = 0;
        }

        Group.Barrier();
        int stride = Grid.DimX * Group.DimX;
        for (int i = Grid.GlobalIndex.X; i < length; i += stride)
        {
            float v = x[i];
            int slot;
            if (float.IsNaN(v))
            {
                slot = TensorHistogram.Bins;
            }
            else if (float.IsInfinity(v))
            {
                slot = TensorHistogram.Bins + 1;
            }
            else
            {
                // bin = min(⌊|x| / amax · 2048⌋, 2047), the same float expression as TensorHistogram.BinOf.
                int b = amax > 0 ? (int)(Math.Abs(v) / amax * TensorHistogram.Bins) : 0;
                slot = b > TensorHistogram.Bins - 1 ? TensorHistogram.Bins - 1 : b;
            }

            Atomic.Add(ref shared[slot], 1);
        }

        Group.Barrier();
        for (int b = Group.IdxX; b < TensorHistogram.Bins + 2; b += Group.DimX)
        {
            int c = shared[b];
            if (c != 0)
            {
                Atomic.Add(ref counts[b], c);
            }
        }
    }
}
