using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Calibration.Histograms;

/// <summary>
/// Host side of <see cref="HistogramKernels"/>: splits a float view into head / 16-byte vectors / tail, picks the grid
/// (CUDA: <see cref="CudaGeometry"/>, by default 512-thread groups, 2 a multiprocessor, fewer when a thread would get
/// under 16 vectors: every group flushes up to 2048 64-bit atomics, so more groups cost more flush; CPU accelerator:
/// two 64-thread groups, each simulated thread being an OS thread) and launches asynchronously.
/// </summary>
internal static class HistogramLaunch
{
    private const int CpuGroupSize = 64;
    private const int CpuGroups = 2;
    private const int VectorsPerThread = 16;

    /// <summary>CUDA group size and groups per multiprocessor (tunable for the benchmark's sweep).</summary>
    internal static (int GroupSize, int GroupsPerMultiprocessor) CudaGeometry { get; set; } = (512, 2);

    /// <summary>Elements one launch accepts (views longer than this are processed in pieces).</summary>
    internal const int MaxElementsPerLaunch = 1 << 30;

    /// <summary>Pass 1 over <paramref name="x"/> into range (max bits, min bits).</summary>
    public static void Range(Int8Device device, ArrayView<float> x, ArrayView<int> range)
    {
        var kernel = device.GetKernel("calibration.range", a =>
            a.LoadStreamKernel<ArrayView<Float4>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int>(HistogramKernels.Range));
        foreach (var piece in Pieces(x))
        {
            var (head, vectors, tail) = Split(piece);
            var (config, full) = Geometry(device, vectors.Length);
            kernel(config, vectors, head, tail, range, full);
        }
    }

    /// <summary>Pass 2 over <paramref name="x"/> into counts (2048 bins, NaN, ±Inf) with bin range amax.</summary>
    public static void Histogram(Int8Device device, ArrayView<float> x, ArrayView<long> counts, float amax)
    {
        var kernel = device.GetKernel("calibration.histogram", a =>
            a.LoadStreamKernel<ArrayView<Float4>, ArrayView<float>, ArrayView<float>, ArrayView<long>, float, float, int>(HistogramKernels.Histogram));
        float kernelRange = HistogramBinning.KernelRange(amax);
        float scale = HistogramBinning.FastScale(kernelRange);
        foreach (var piece in Pieces(x))
        {
            var (head, vectors, tail) = Split(piece);
            var (config, full) = Geometry(device, vectors.Length);
            kernel(config, vectors, head, tail, counts, kernelRange, scale, full);
        }
    }

    /// <summary>Consecutive sub-views of at most <see cref="MaxElementsPerLaunch"/> elements (int indexing in the kernels).</summary>
    internal static IEnumerable<ArrayView<float>> Pieces(ArrayView<float> x)
    {
        for (long start = 0; start < x.Length; start += MaxElementsPerLaunch)
        {
            yield return x.SubView(start, Math.Min(MaxElementsPerLaunch, x.Length - start));
        }
    }

    /// <summary>head = elements before the first 16-byte boundary, vectors = whole aligned Float4s, tail = the rest (each 0-3 long).</summary>
    internal static (ArrayView<float> Head, ArrayView<Float4> Vectors, ArrayView<float> Tail) Split(ArrayView<float> x)
    {
        long offsetBytes = ((IContiguousArrayView)x).IndexInBytes;
        if (offsetBytes % sizeof(float) != 0)
        {
            throw new ArgumentException("The float view does not start on a 4-byte boundary.", nameof(x));
        }

        long headLength = Math.Min(x.Length, (16 - (offsetBytes % 16)) % 16 / sizeof(float));

        long vectorCount = (x.Length - headLength) / 4;
        long tailStart = headLength + (vectorCount * 4);
        return (Part(x, 0, headLength), Part(x, headLength, vectorCount * 4).Cast<Float4>(), Part(x, tailStart, x.Length - tailStart));
    }

    /// <summary>x[start, start + length), or an empty view at 0 (ILGPU asserts start &lt; Length even for empty sub-views).</summary>
    private static ArrayView<float> Part(ArrayView<float> x, long start, long length) => x.SubView(length == 0 ? 0 : start, length);

    /// <summary>The grid and the number of iterations in which every thread's four loads are in range.</summary>
    internal static (KernelConfig Config, int FullIterations) Geometry(Int8Device device, long vectors)
    {
        int groupSize, groups;
        if (device.IsCuda)
        {
            var acc = device.Accelerator;
            var (size, perSm) = CudaGeometry;
            groupSize = Math.Min(size, acc.MaxNumThreadsPerGroup);
            int resident = Math.Max(1, acc.NumMultiprocessors * Math.Min(perSm, Math.Max(1, acc.MaxNumThreadsPerMultiprocessor / groupSize)));
            long wanted = Math.Max(1, (vectors + ((long)groupSize * VectorsPerThread) - 1) / ((long)groupSize * VectorsPerThread));
            groups = (int)Math.Min(resident, wanted);
        }
        else
        {
            groupSize = CpuGroupSize;
            groups = CpuGroups;
        }

        long threads = (long)groups * groupSize;
        return (new KernelConfig(groups, groupSize), (int)(vectors / (4 * threads)));
    }
}
