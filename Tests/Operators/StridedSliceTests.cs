using ILGPUInt8.Layers.Onnx;
using ILGPUInt8.Layers.Onnx.Reference;
using Xunit;
using static ILGPUInt8.Tests.Onnx.OnnxProtoBuilder;

namespace ILGPUInt8.Tests.Operators;

/// <summary>
/// ONNX Slice with steps (negative too) over several axes: the index arithmetic against a direct transcription of the
/// ONNX rule on edge values, and whole Slice models on the ILGPU CPU accelerator, the CPU backend and an engine read
/// back from its file, against an independent element-by-element reference and the ONNX oracle (FP32, exact copies).
/// </summary>
public sealed class StridedSliceTests
{
    // (start, end, step, dim) → the indices ONNX keeps, element by element: i = start', start' + step, … while i < end'
    // (step > 0) or i > end' (step < 0), with start'/end' made non-negative (+ dim) and clamped as the spec says.
    private static List<long> Indices(long start, long end, long step, long dim)
    {
        start = start < 0 ? start + dim : start;
        end = end < 0 ? end + dim : end;
        var kept = new List<long>();
        if (step > 0)
        {
            for (long i = Math.Clamp(start, 0, dim); i < Math.Clamp(end, 0, dim); i += step)
            {
                kept.Add(i);
                if (step >= dim)
                {
                    break; // the next index is past the end (and i + step could overflow)
                }
            }
        }
        else
        {
            for (long i = Math.Clamp(start, 0, dim - 1); i > Math.Clamp(end, -1, dim - 1); i += step)
            {
                kept.Add(i);
                if (step <= -dim)
                {
                    break; // the next index is before the start (and i + step could overflow)
                }
            }
        }

        return kept;
    }

    [Fact]
    public void The_range_of_every_start_end_step_matches_the_onnx_rule()
    {
        long[] values = [long.MinValue, -100, -8, -7, -6, -3, -1, 0, 1, 2, 5, 6, 7, 8, 100, long.MaxValue];
        long[] steps = [long.MinValue, -100, -7, -3, -2, -1, 1, 2, 3, 7, 100, long.MaxValue];
        int checkedCount = 0;
        foreach (long dim in new long[] { 1, 2, 7 })
        {
            foreach (long start in values)
            {
                foreach (long end in values)
                {
                    foreach (long step in steps)
                    {
                        var expected = Indices(start, end, step, dim);
                        var (s, length) = SliceMapper.Range(start, end, step, dim);
                        Assert.Equal(expected.Count, length);
                        if (length > 0)
                        {
                            Assert.Equal(expected[0], s);
                        }

                        checkedCount++;
                    }
                }
            }
        }

        Assert.Equal(3 * 16 * 16 * 12, checkedCount);
    }

    public static TheoryData<long[], long[], long[], long[]> Slices() => new()
    {
        { [4, 3, 5], [0, 0, 1], [1, 2, 3], [-1, -1, -2] },        // every item axis backwards
        { [0, 1], [100, -1], [2, 3], [3, 2] },                    // strided, two axes
        { [-2], [long.MinValue], [1], [-1] },                     // C reversed from the second last
        { [1, 6], [long.MaxValue, 0], [3, 2], [2, -4] },          // H forward, W backwards by 4
        { [5, 0], [0, 5], [0, 2], [-2, 3] },                      // the batch backwards (taken whole) and C
    };

    [Theory]
    [MemberData(nameof(Slices))]
    public void Slices_with_steps_copy_the_indices_onnx_names_on_both_backends_and_from_a_file(long[] starts, long[] ends, long[] axes, long[] steps)
    {
        long[] shape = [6, 5, 7, 9];
        int volume = (int)shape.Aggregate(1L, (a, b) => a * b);
        var x = Random(volume, seed: 17);
        // The independent reference: per dimension, the kept indices; y is their outer product.
        var kept = Enumerable.Range(0, 4).Select(d => Enumerable.Range(0, (int)shape[d]).Select(i => (long)i).ToList()).ToArray();
        for (int i = 0; i < axes.Length; i++)
        {
            kept[axes[i]] = Indices(starts[i], ends[i], steps[i], shape[axes[i]]);
        }

        var expected = new List<float>();
        foreach (long n in kept[0])
        {
            foreach (long c in kept[1])
            {
                foreach (long h in kept[2])
                {
                    foreach (long w in kept[3])
                    {
                        expected.Add(x[(((((n * shape[1]) + c) * shape[2]) + h) * shape[3]) + w]);
                    }
                }
            }
        }

        long[] outShape = [.. kept.Select(k => (long)k.Count)];
        bool acrossBatch = axes.Contains(0);
        var model = Model(13, [Node("Slice", ["x", "starts", "ends", "axes", "steps"], ["y"])],
            [Value("x", shape)], [Value("y", outShape)],
            [Int64s("starts", [starts.Length], starts), Int64s("ends", [ends.Length], ends), Int64s("axes", [axes.Length], axes), Int64s("steps", [steps.Length], steps)]);

        var loaded = OnnxNetworkLoader.Load(model.Bytes(), "slice", new OnnxImportOptions { UnitBatch = acrossBatch, BatchSize = (int)shape[0] });
        var oracle = OnnxReference.Run(loaded.Imported, new Dictionary<string, ReferenceTensor> { ["x"] = new(acrossBatch ? [1, .. shape] : shape, x) })["y"];
        Assert.Equal(expected, oracle.Data);

        int batch = acrossBatch ? 1 : (int)shape[0];
        using var engines = OperatorEngines.Build(loaded.Network, new BuilderConfig { MaxBatchSize = batch });
        foreach (var engine in engines.All)
        {
            using var context = engine.CreateExecutionContext();
            var y = context.Execute(x, batch);
            Assert.Equal(expected.Count, y.Length);
            Assert.True(expected.SequenceEqual(y), $"{engine.BackendName}: the slice [{string.Join(", ", outShape)}] differs");
        }
    }
}
