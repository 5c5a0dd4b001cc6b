using System.Diagnostics;
using Google.Protobuf;
using ILGPUInt8.Layers.Onnx;
using ILGPUInt8.Layers.Onnx.Proto;
using Xunit;

namespace ILGPUInt8.Tests.Onnx;

/// <summary>
/// A thousand corrupted variants of the fixture models (truncations, flipped and inserted bytes, absurd
/// dimensions, cycles, missing initializers, wrong types, garbage operators): each is read and imported and
/// must end either in a network or in an <see cref="OnnxImportException"/>, within a second, without any other
/// exception and without allocating more than a bounded multiple of its size.
/// </summary>
public class OnnxMutationTests
{
    private const int Variants = 1000;

    [Fact]
    public async Task ThousandCorruptedModels_EndInTheDocumentedExceptionOrImport()
    {
        byte[][] seeds = [File.ReadAllBytes(OnnxFixtures.FashionCnn), File.ReadAllBytes(OnnxFixtures.FashionCnnQdq)];
        var random = new Random(20261128);
        int refused = 0, imported = 0;
        var slowest = TimeSpan.Zero;
        for (int v = 0; v < Variants; v++)
        {
            byte[] seed = seeds[v % seeds.Length];
            var (bytes, what) = Mutate(seed, random, v);
            // The second is the importer's bound, not the scheduler's: a run over it is timed again (up to 3 runs,
            // the fastest counts), so a stall of the test host (CI's 2 cores, other tests' threads) is not charged.
            var elapsed = TimeSpan.MaxValue;
            bool ok = false;
            for (int run = 0; run < 3 && elapsed >= Limit; run++)
            {
                var (time, done, failure) = await ImportTimed(bytes, v, what);
                if (failure is not null)
                {
                    Assert.Fail($"variant {v} ({what}) threw {failure.GetType().Name}: {failure}");
                }
                elapsed = time < elapsed ? time : elapsed;
                ok = done;
            }
            Assert.True(elapsed < Limit, $"variant {v} ({what}) took {elapsed.TotalMilliseconds:F0} ms in each of 3 runs");
            slowest = elapsed > slowest ? elapsed : slowest;
            if (ok)
            {
                imported++;
            }
            else
            {
                refused++;
            }
        }
        Assert.Equal(Variants, refused + imported);
        Assert.True(refused > Variants / 2, $"only {refused} of {Variants} variants were refused");
        TestContext.Current.SendDiagnosticMessage($"{refused} refused, {imported} imported, slowest {slowest.TotalMilliseconds:F0} ms");
    }

    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(1);

    /// <summary>Parses and imports <paramref name="bytes"/> on a pool thread: wall time, whether it imported, and any exception other than <see cref="OnnxImportException"/>; a run over 10 s fails the test as a hang.</summary>
    private static async Task<(TimeSpan Time, bool Imported, Exception? Failure)> ImportTimed(byte[] bytes, int variant, string what)
    {
        var watch = Stopwatch.StartNew();
        Exception? failure = null;
        bool ok = false;
        var task = Task.Run(() =>
        {
            try
            {
                OnnxImporter.Import(OnnxModel.Parse(bytes));
                ok = true;
            }
            catch (OnnxImportException)
            {
            }
            catch (Exception e)
            {
                failure = e;
            }
        }, TestContext.Current.CancellationToken);
        try
        {
            await task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"variant {variant} ({what}) hung");
        }
        watch.Stop();
        return (watch.Elapsed, ok, failure);
    }

    [Fact]
    public void AllocationIsBoundedByTheFileSize()
    {
        // A tensor claiming 2^40 elements in a small file: refused before anything of that size is allocated.
        var model = OnnxModel.Parse(File.ReadAllBytes(OnnxFixtures.FashionCnn));
        Assert.NotNull(model);
        var proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(OnnxFixtures.FashionCnn));
        proto.Graph.Initializer[0].Dims.Clear();
        proto.Graph.Initializer[0].Dims.AddRange([1L << 20, 1L << 20]);
        byte[] bytes = proto.ToByteArray();
        long before = GC.GetTotalAllocatedBytes(precise: true);

        Assert.Throws<OnnxImportException>(() => OnnxModel.Parse(bytes));

        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.True(allocated < 64L * bytes.Length, $"{allocated} bytes allocated for a {bytes.Length}-byte file");
    }

    private static (byte[] Bytes, string What) Mutate(byte[] seed, Random random, int variant)
    {
        switch (variant % 10)
        {
            case 0:
                {
                    int length = random.Next(seed.Length);
                    return (seed[..length], $"truncated to {length}");
                }
            case 1:
                {
                    byte[] b = (byte[])seed.Clone();
                    int flips = 1 + random.Next(8);
                    for (int i = 0; i < flips; i++)
                    {
                        b[random.Next(b.Length)] ^= (byte)(1 << random.Next(8));
                    }
                    return (b, $"{flips} bits flipped");
                }
            case 2:
                {
                    // Flips within the first 2 KiB: the graph structure rather than weight bytes.
                    byte[] b = (byte[])seed.Clone();
                    int at = random.Next(Math.Min(2048, b.Length));
                    b[at] = (byte)random.Next(256);
                    return (b, $"byte {at} replaced");
                }
            case 3:
                {
                    var b = seed.ToList();
                    int at = random.Next(b.Count);
                    int count = 1 + random.Next(4);
                    if (random.Next(2) == 0)
                    {
                        b.InsertRange(at, Enumerable.Range(0, count).Select(_ => (byte)random.Next(256)));
                        return ([.. b], $"{count} bytes inserted at {at}");
                    }
                    b.RemoveRange(at, Math.Min(count, b.Count - at));
                    return ([.. b], $"{count} bytes removed at {at}");
                }
            default:
                return Structural(seed, random, variant);
        }
    }

    private static (byte[] Bytes, string What) Structural(byte[] seed, Random random, int variant)
    {
        var proto = ModelProto.Parser.ParseFrom(seed);
        var g = proto.Graph;
        string what;
        switch (variant % 10)
        {
            case 4:
                {
                    // Absurd dimensions on a tensor (initializer or a Constant node's value).
                    var tensors = g.Initializer.Concat(g.Node.SelectMany(n => n.Attribute).Where(a => a.T is not null).Select(a => a.T)).ToList();
                    var t = tensors[random.Next(tensors.Count)];
                    long[] absurd = [1L << 40, -7, long.MaxValue, 0, 3, int.MaxValue];
                    long d = absurd[random.Next(absurd.Length)];
                    if (t.Dims.Count == 0)
                    {
                        t.Dims.Add(d);
                    }
                    else
                    {
                        t.Dims[random.Next(t.Dims.Count)] = d;
                    }
                    what = $"tensor '{t.Name}' dimension set to {d}";
                    break;
                }
            case 5:
                {
                    // A cycle: a node reads the output of itself or of a later node.
                    int i = random.Next(g.Node.Count);
                    int j = i + random.Next(g.Node.Count - i);
                    var n = g.Node[i];
                    if (n.Input.Count == 0)
                    {
                        n.Input.Add(g.Node[j].Output[0]);
                    }
                    else
                    {
                        n.Input[random.Next(n.Input.Count)] = g.Node[j].Output[0];
                    }
                    what = $"node {i} reads node {j}'s output";
                    break;
                }
            case 6:
                {
                    // A missing initializer or Constant.
                    if (g.Initializer.Count > 0 && random.Next(2) == 0)
                    {
                        int i = random.Next(g.Initializer.Count);
                        what = $"initializer '{g.Initializer[i].Name}' removed";
                        g.Initializer.RemoveAt(i);
                    }
                    else
                    {
                        var constants = g.Node.Where(n => n.OpType == "Constant").ToList();
                        var c = constants.Count > 0 ? constants[random.Next(constants.Count)] : g.Node[random.Next(g.Node.Count)];
                        what = $"node '{c.Name}' ({c.OpType}) removed";
                        g.Node.Remove(c);
                    }
                    break;
                }
            case 7:
                {
                    // Wrong element types, raw data of the wrong size, garbage type codes.
                    var tensors = g.Initializer.Concat(g.Node.SelectMany(n => n.Attribute).Where(a => a.T is not null).Select(a => a.T)).ToList();
                    var t = tensors[random.Next(tensors.Count)];
                    int kind = random.Next(3);
                    if (kind == 0)
                    {
                        t.DataType = new[] { 0, 8, 14, 99, -1, 7, 3 }[random.Next(7)];
                        what = $"tensor '{t.Name}' data type {t.DataType}";
                    }
                    else if (kind == 1 && t.HasRawData && t.RawData.Length > 0)
                    {
                        t.RawData = ByteString.CopyFrom(t.RawData.Span[..random.Next(t.RawData.Length)]);
                        what = $"tensor '{t.Name}' raw data cut";
                    }
                    else
                    {
                        t.FloatData.Add(1f);
                        what = $"tensor '{t.Name}' float_data added";
                    }
                    break;
                }
            case 8:
                {
                    // Garbage operators, attributes and opsets.
                    var n = g.Node[random.Next(g.Node.Count)];
                    int kind = random.Next(4);
                    if (kind == 0)
                    {
                        n.OpType = new[] { "", "Conv2D", "Loop", "NonMaxSuppression", "Relu" }[random.Next(5)];
                        what = $"node '{n.Name}' op '{n.OpType}'";
                    }
                    else if (kind == 1 && n.Attribute.Count > 0)
                    {
                        var a = n.Attribute[random.Next(n.Attribute.Count)];
                        a.Type = (AttributeProto.Types.AttributeType)random.Next(15);
                        a.Ints.Add(long.MinValue);
                        a.I = long.MaxValue;
                        what = $"node '{n.Name}' attribute '{a.Name}' garbled";
                    }
                    else if (kind == 2)
                    {
                        proto.OpsetImport[0].Version = new[] { 0L, 1, 6, 22, 999, -5 }[random.Next(6)];
                        what = $"opset {proto.OpsetImport[0].Version}";
                    }
                    else
                    {
                        n.Output.Clear();
                        what = $"node '{n.Name}' outputs removed";
                    }
                    break;
                }
            default:
                {
                    // Graph inputs and outputs: absurd or missing shapes, duplicates, dangling outputs.
                    int kind = random.Next(4);
                    var input = g.Input[0];
                    if (kind == 0)
                    {
                        input.Type.TensorType.Shape.Dim[1 + random.Next(input.Type.TensorType.Shape.Dim.Count - 1)].DimValue = new[] { 0L, -1, 1L << 40, long.MaxValue }[random.Next(4)];
                        what = "input dimension absurd";
                    }
                    else if (kind == 1)
                    {
                        input.Type = null;
                        what = "input type removed";
                    }
                    else if (kind == 2)
                    {
                        g.Output.Add(new ValueInfoProto { Name = "nowhere" });
                        what = "dangling output";
                    }
                    else
                    {
                        g.Input.Add(input.Clone());
                        what = "input declared twice";
                    }
                    break;
                }
        }
        return (proto.ToByteArray(), what);
    }
}
