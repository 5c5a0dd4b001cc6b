using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ILGPU;
using ILGPU.Runtime;

namespace ILGPUInt8.Calibration.Histograms;

/// <summary>
/// The host path of <see cref="HistogramCollector"/> on the CPU accelerator (whose memory is host memory): the same two
/// passes computed with SIMD and Parallel.For instead of simulated GPU threads, the same state words and the same rules.
/// Range: max and min of |x| bits over finite x (an integer compare on non-negative float bits), folded into range[0] and
/// range[1]. Counts: bin = <see cref="HistogramBinning.Bin"/> (t = |x| / amax · 2048 in float32, the device's FastBin gives
/// the same bin for every value), NaN and ±Inf in their slots; per-thread counts summed (integer sums: exact).
/// </summary>
internal static unsafe class HostHistogram
{
    /// <summary>True when the view's memory can be read on the host (a CPU accelerator's).</summary>
    public static bool Applies<T>(ArrayView<T> view)
        where T : unmanaged => view.GetAcceleratorType() == AcceleratorType.CPU;

    /// <summary>range[0] = max(range[0], max |x| bits), range[1] = min(range[1], min |x| bits) over finite x.</summary>
    public static void Range(ArrayView<float> x, ArrayView<int> range)
    {
        int* state = Pointer(range);
        int hi = state[0], lo = state[1];
        var pieces = Pieces(x.Length);
        var his = new int[pieces];
        var los = new int[pieces];
        nint data = (nint)Pointer(x);
        long length = x.Length;
        Parallel.For(0, pieces, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (p) =>
        {
            long i = length * p / pieces, end = length * (p + 1) / pieces;
            int* v = (int*)data;
            var mask = Vector256.Create(0x7FFFFFFF);
            var inf = Vector256.Create(HistogramBinning.InfinityBits);
            Vector256<int> vhi = Vector256<int>.Zero, vlo = inf;
            for (; i + 8 <= end; i += 8)
            {
                var bits = Vector256.Load(v + i) & mask;
                var finite = Vector256.LessThan(bits, inf);
                vhi = Vector256.Max(vhi, bits & finite);
                vlo = Vector256.Min(vlo, Vector256.ConditionalSelect(finite, bits, inf));
            }

            int h = 0, l = HistogramBinning.InfinityBits;
            for (var j = 0; j < 8; j++)
            {
                h = Math.Max(h, vhi.GetElement(j));
                l = Math.Min(l, vlo.GetElement(j));
            }

            for (; i < end; i++)
            {
                int bits = v[i] & 0x7FFFFFFF;
                if (bits < HistogramBinning.InfinityBits)
                {
                    h = Math.Max(h, bits);
                    l = Math.Min(l, bits);
                }
            }

            his[p] = h;
            los[p] = l;
        });
        state[0] = Math.Max(hi, his.Max());
        state[1] = Math.Min(lo, los.Min());
    }

    /// <summary>counts[bin(|x|)]++ over [0, amax], counts[NaN slot] and counts[±Inf slot] for the others.</summary>
    public static void Count(ArrayView<float> x, ArrayView<long> counts, float amax)
    {
        long* total = Pointer(counts);
        float range = HistogramBinning.KernelRange(amax);
        var pieces = Pieces(x.Length);
        var local = new long[pieces][];
        nint data = (nint)Pointer(x);
        long length = x.Length;
        Parallel.For(0, pieces, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (p) =>
        {
            var slots = local[p] = new long[HistogramBinning.Slots];
            long i = length * p / pieces, end = length * (p + 1) / pieces;
            float* v = (float*)data;
            var divisor = Vector256.Create(range);
            var scale = Vector256.Create(2048f);
            var top = Vector256.Create(2047f);
            var mask = Vector256.Create(0x7FFFFFFF);
            var inf = Vector256.Create(HistogramBinning.InfinityBits);
            for (; i + 8 <= end; i += 8)
            {
                var bits = Vector256.Load((int*)v + i) & mask;
                if (!Vector256.LessThanAll(bits, inf))
                {
                    CountScalar(v, i, i + 8, range, slots);
                    continue;
                }

                // t = |x| / amax · 2048; bin = t < 2047 ? (int)t : 2047.
                var t = bits.AsSingle() / divisor * scale;
                var bin = Vector256.ConvertToInt32(Vector256.Min(t, top));
                for (var j = 0; j < 8; j++)
                {
                    slots[bin.GetElement(j)]++;
                }
            }

            CountScalar(v, i, end, range, slots);
        });
        foreach (var slots in local)
        {
            for (var s = 0; s < slots.Length; s++)
            {
                total[s] += slots[s];
            }
        }
    }

    private static void CountScalar(float* v, long from, long to, float range, long[] slots)
    {
        for (var i = from; i < to; i++)
        {
            float x = v[i];
            if (float.IsNaN(x))
            {
                slots[HistogramBinning.NaNSlot]++;
            }
            else if (float.IsInfinity(x))
            {
                slots[HistogramBinning.InfinitySlot]++;
            }
            else
            {
                slots[HistogramBinning.Bin(MathF.Abs(x), range)]++;
            }
        }
    }

    private static int Pieces(long length) => (int)Math.Clamp(length / 65536, 1, 4 * Environment.ProcessorCount);

    private static T* Pointer<T>(ArrayView<T> view)
        where T : unmanaged => (T*)ArrayViewExtensions.LoadEffectiveAddressAsPtr(view);
}
