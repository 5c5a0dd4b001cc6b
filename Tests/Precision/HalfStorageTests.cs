using System.Security.Cryptography;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Operators;
using ILGPUInt8.Layers.Runtime;
using ILGPUInt8.Tests.Infrastructure;
using ILGPUInt8.Tests.Networks;
using Xunit;

namespace ILGPUInt8.Tests.Precision;

/// <summary>
/// FP16 tensors stored as 2-byte halves (engine file version 9): an FP16 step's output is <see cref="DataType.Half"/>
/// except an engine output (float words); FP32 readers get widened copies, INT8 readers quantized ones and FP16 readers
/// of int8 dequantized halves, one pass each; the arena shrinks; the conversions
/// (<see cref="HalfPack"/>, <see cref="HalfUnpack"/>, the CPU backend's, the half im2col) are exact; and an engine file of
/// version 8 (FP16 values in float words) still runs, to the same bits.
/// </summary>
public sealed class HalfStorageTests
{
    private static BuilderConfig Config(BuilderPrecision mode, int batch) => new() { MaxBatchSize = batch, Mode = mode };

    [Fact]
    public void Fp16_steps_store_two_byte_halves_and_the_arena_shrinks()
    {
        const int n = 64;
        var net = TestNetworks.SmallCnn();
        var inputs = TestNetworks.Inputs(net, n);
        foreach (var cpu in new[] { true, false })
        {
            using var fp16 = cpu ? EngineBuilder.BuildCpu(net, Config(BuilderPrecision.Fp16, n)) : EngineBuilder.Build(net, Config(BuilderPrecision.Fp16, n), TestDevices.Cpu);
            using var fp32 = cpu ? EngineBuilder.BuildCpu(net, Config(BuilderPrecision.Fp32, n)) : EngineBuilder.Build(net, Config(BuilderPrecision.Fp32, n), TestDevices.Cpu);
            var plan = fp16.Plan;
            foreach (var node in plan.Nodes.Where(n => n.Half))
            {
                var output = plan.Tensors[node.Output];
                Assert.Equal(plan.Outputs.Contains(node.Output) ? DataType.Float : DataType.Half, output.Type);
                Assert.Equal(output.Dims.Volume * (output.Type == DataType.Half ? 2 : 4), output.ItemBytes);
            }

            // The network input is rounded into halves as it comes in (no conversion step); the softmax output is an
            // engine output: float words.
            Assert.Equal(DataType.Half, plan.Tensors[plan.Inputs[0]].Type);
            Assert.DoesNotContain(plan.Nodes, node => node.Layer is ConvertLayer);
            Assert.All(plan.Outputs, id => Assert.Equal(DataType.Float, plan.Tensors[id].Type));
            TestContext.Current.SendDiagnosticMessage($"{fp16.BackendName}: arena FP16 {fp16.Memory.ArenaBytes} B, FP32 {fp32.Memory.ArenaBytes} B");
            Assert.True(fp16.Memory.ArenaBytes * 10 <= fp32.Memory.ArenaBytes * 6, $"FP16 arena {fp16.Memory.ArenaBytes} B vs FP32 {fp32.Memory.ArenaBytes} B");
            TestNetworks.Near(PlanReference.Outputs(plan, inputs, n), TestNetworks.Run(fp16, inputs, n), $"{fp16.BackendName} fp16 vs reference", rtol: 2e-3f, atol: 1e-4f);
        }
    }

    [Fact]
    public void An_fp16_residual_network_on_the_tensor_core_path_runs_on_halves_from_end_to_end()
    {
        // data (8, 6, 6) → conv 3×3 (8) + ReLU = a → conv 3×3 (8) = b → sum(a, b) + ReLU → max pool 2 → conv 1×1 (8) →
        // output: on the CUDA path (emulated tensor cores on the CPU accelerator) every step reads and writes halves
        // itself, no widening copy and no separate store; the last convolution writes the engine output's float words.
        var net = new NetworkDefinition("residual_fp16");
        var x = net.AddInput("data", new TensorDims(8, 6, 6));
        var a = net.AddConvolution(x, 8, 3, TestNetworks.Weights(8 * 8 * 9, 72, 31), TestData.Float(8, 32, 0.2f), padding: 1, name: "conv_a").Output;
        a = net.AddActivation(a, Kernels.Ops.ActivationKind.Relu, name: "relu_a").Output;
        var b = net.AddConvolution(a, 8, 3, TestNetworks.Weights(8 * 8 * 9, 72, 33), null, padding: 1, name: "conv_b").Output;
        var sum = net.AddElementWise(a, b, Kernels.Ops.ElementWiseOperation.Sum, "sum").Output;
        sum = net.AddActivation(sum, Kernels.Ops.ActivationKind.Relu, name: "relu_sum").Output;
        var pool = net.AddPooling(sum, PoolingType.Max, 2, name: "pool").Output;
        net.MarkOutput(net.AddConvolution(pool, 8, 1, TestNetworks.Weights(8 * 8, 8, 35), TestData.Float(8, 36, 0.2f), name: "conv_out").Output);
        var inputs = TestNetworks.Inputs(net, 1);
        using (var engine = EmulatedTensorCores.Build(net, Config(BuilderPrecision.Fp16, 1), Kernels.Gemm.FloatMmaInput.Fp16, implicitConv: true))
        {
            var names = engine.Layers.ToDictionary(l => l.Name, l => l.KernelName);
            TestContext.Current.SendDiagnosticMessage(string.Join("; ", names.Select(kv => $"{kv.Key}: {kv.Value}")));
            Assert.All(engine.Layers.Where(l => l.Type == LayerType.Convolution), l => Assert.StartsWith("conv_f16f16f32_nhwc_", l.KernelName, StringComparison.Ordinal));
            Assert.Equal("elementwise_f16", names["sum"]);
            Assert.Equal("pooling_f16", names["pool"]);
            Assert.All(names.Values, k => Assert.DoesNotContain("pack_f16", k, StringComparison.Ordinal));
            Assert.All(names.Values, k => Assert.DoesNotContain("round_f16", k, StringComparison.Ordinal));
            Assert.Equal(DataType.Float, engine.Plan.Tensors[engine.Plan.Outputs[0]].Type);
            TestNetworks.Near(PlanReference.Outputs(engine.Plan, inputs, 1), TestNetworks.Run(engine, inputs, 1), "fp16 residual on halves vs reference", rtol: 2e-3f, atol: 1e-4f);
        }
    }

    [Fact]
    public void Fp16_layout_steps_copy_halves_without_widening()
    {
        // data (8, 5, 6) → 1×1 conv (8) → pad 1 → max pool 2 | slice of channels 2..5 → channel shuffle (2 groups) →
        // padded; the pool's first 4 channels → nearest resize ×2; concat of both (12, 6, 8) → reshape (12, 8, 6) (a copy:
        // the NHWC layout changes) → sigmoid → output. On the ILGPU backend every step between the convolution and the
        // sigmoid (which writes the engine output's float words through HalfIoStep) reads and writes halves itself.
        var net = new NetworkDefinition("layout_fp16");
        var x = net.AddInput("data", new TensorDims(8, 5, 6));
        var c = net.AddConvolution(x, 8, 1, TestNetworks.Weights(8 * 8, 8, 41), TestData.Float(8, 42, 0.2f), name: "conv").Output;
        var padded = net.AddPadding(c, new(1, 1), new(1, 1), 0.25f, name: "pad").Output;
        var pooled = net.AddPooling(padded, PoolingType.Max, 2, name: "pool").Output;
        var slice = net.AddSlice(c, ItemAxis.Channel, 2, 4, name: "slice").Output;
        var shuffled = net.AddChannelShuffle(slice, 2, name: "shuffle").Output;
        var small = net.AddSlice(pooled, ItemAxis.Channel, 0, 4, name: "pool_slice").Output;
        var resized = net.AddResize(small, 6, 8, 2f, 2f, name: "resize").Output;
        var wide = net.AddPadding(shuffled, new(0, 0), new(1, 2), 0f, name: "pad_w").Output;
        var cat = net.AddConcatenation([resized, wide, resized], name: "concat").Output;
        var reshaped = net.AddReshape(cat, new TensorDims(12, 8, 6), name: "reshape").Output;
        net.MarkOutput(net.AddActivation(reshaped, Kernels.Ops.ActivationKind.Sigmoid, name: "sigmoid").Output);
        var inputs = TestNetworks.Inputs(net, 2);
        using var engine = EngineBuilder.Build(net, Config(BuilderPrecision.Fp16, 2), TestDevices.Cpu);
        var names = engine.Layers.ToDictionary(l => l.Name, l => l.KernelName);
        TestContext.Current.SendDiagnosticMessage(string.Join("; ", names.Select(kv => $"{kv.Key}: {kv.Value}")));
        foreach (var name in new[] { "pad", "pool", "slice", "shuffle", "pool_slice", "resize", "pad_w", "concat", "reshape" })
        {
            Assert.True(names[name].EndsWith("_f16", StringComparison.Ordinal) && !names[name].Contains('+', StringComparison.Ordinal), $"{name}: {names[name]}");
        }

        TestNetworks.Near(PlanReference.Outputs(engine.Plan, inputs, 2), TestNetworks.Run(engine, inputs, 2), "fp16 layout steps vs reference", rtol: 2e-3f, atol: 1e-4f);
    }

    [Fact]
    public void The_fp16_steps_of_a_context_share_one_widening_buffer_sized_for_the_largest()
    {
        // On the CPU backend every FP16 step widens its halves (no native half kernels there): one buffer a context, not
        // one a step, in the engine's memory report and in the memory check made before the engine is built.
        const int n = 8;
        var net = TestNetworks.SmallCnn();
        using var engine = EngineBuilder.BuildCpu(net, Config(BuilderPrecision.Fp16, n));
        var plan = engine.Plan;
        var needs = plan.Nodes.Select(node => HalfIoStep.ScratchFor(plan, node)).Where(b => b > 0).ToList();
        Assert.True(needs.Count >= 5, $"{needs.Count} FP16 steps widen");
        Assert.Equal(needs.Max(), engine.Memory.ScratchBytes);
        Assert.Equal(needs.Max(), EngineResources.Scratch(plan, host: true));
        Assert.Equal(needs.Max(), engine.Layers.Max(l => l.ScratchBytes));
        Assert.True(engine.Layers.Sum(l => l.ScratchBytes) > engine.Memory.ScratchBytes);
        var inputs = TestNetworks.Inputs(net, n);
        TestNetworks.Near(PlanReference.Outputs(plan, inputs, n), TestNetworks.Run(engine, inputs, n), "fp16 cpu, shared widening", rtol: 2e-3f, atol: 1e-4f);
    }

    [Fact]
    public void Fp32_and_int8_steps_read_an_fp16_tensor_through_one_conversion()
    {
        var net = TestNetworks.SmallCnn();
        var inputs = TestNetworks.Inputs(net, 2);
        TestNetworks.SetRanges(net, inputs, 2);
        foreach (var mode in new[] { BuilderPrecision.Fp32, BuilderPrecision.Int8 })
        {
            var config = Config(mode, 2);
            config.LayerPrecisions["pool1"] = LayerPrecision.Half;
            config.LayerPrecisions["pool2"] = LayerPrecision.Half;
            foreach (var engine in new[] { EngineBuilder.BuildCpu(net, config), EngineBuilder.Build(net, config, TestDevices.Cpu) })
            {
                using (engine)
                {
                    var plan = engine.Plan;
                    // Every non-FP16 step reads its own element type: FP32 after FP16 through a widened copy, INT8 after
                    // FP16 through a quantize of the halves, FP16 after INT8 through a dequantize to halves (one pass each).
                    foreach (var node in plan.Nodes.Where(n => !n.Half && n.Layer is not ConvertLayer))
                    {
                        Assert.All(node.Inputs, id => Assert.NotEqual(DataType.Half, plan.Tensors[id].Type));
                    }

                    var converts = plan.Nodes.Where(n => n.Layer is ConvertLayer).Select(n => (((ConvertLayer)n.Layer).Kind, From: plan.Tensors[n.Inputs[0]].Type, To: plan.Tensors[n.Output].Type)).ToList();
                    if (mode == BuilderPrecision.Fp32)
                    {
                        Assert.Contains((ConvertKind.FromHalf, DataType.Half, DataType.Float), converts);
                    }
                    else
                    {
                        Assert.Contains((ConvertKind.Quantize, DataType.Half, DataType.Int8), converts);
                        Assert.Contains((ConvertKind.Dequantize, DataType.Int8, DataType.Half), converts);
                        Assert.DoesNotContain(converts, c => c.Kind == ConvertKind.FromHalf);
                    }

                    TestNetworks.Near(PlanReference.Outputs(plan, inputs, 2), TestNetworks.Run(engine, inputs, 2), $"{mode} {engine.BackendName} with fp16 pools", rtol: 2e-3f, atol: 1e-4f);
                }
            }
        }
    }

    [Fact]
    public void A_version_8_fp16_engine_file_keeps_float_words_and_gives_the_same_bits()
    {
        var net = TestNetworks.SmallCnn();
        var inputs = TestNetworks.Inputs(net, 2);
        foreach (var cpu in new[] { true, false })
        {
            using var engine = cpu ? EngineBuilder.BuildCpu(net, Config(BuilderPrecision.Fp16, 2)) : EngineBuilder.Build(net, Config(BuilderPrecision.Fp16, 2), TestDevices.Cpu);
            using var file = new MemoryStream();
            engine.Serialize(file);
            file.Position = 0;
            var plan = EngineSerializer.Read(file);
            Assert.Contains(plan.Tensors, t => t.Type == DataType.Half);

            // What session 14's builder made of the same network: FP16 values in float words, the input rounded by a
            // conversion step, no widening steps.
            foreach (var id in plan.Inputs.Where(id => plan.Tensors[id].Type == DataType.Half).ToList())
            {
                var rounded = plan.Add(plan.Tensors[id].Name + "_fp16", plan.Tensors[id].Dims);
                foreach (var reader in plan.Consumers(id).ToList())
                {
                    reader.Inputs[reader.Inputs.IndexOf(id)] = rounded.Id;
                }

                plan.Nodes.Insert(0, new PlanNode(new ConvertLayer(rounded.Name, ConvertKind.ToHalf), [id], rounded.Id, []));
            }

            foreach (var t in plan.Tensors.Where(t => t.Type == DataType.Half))
            {
                t.Type = DataType.Float;
            }

            foreach (var widen in plan.Nodes.Where(n => n.Layer is ConvertLayer { Kind: ConvertKind.FromHalf }).ToList())
            {
                foreach (var reader in plan.Consumers(widen.Output))
                {
                    reader.Inputs[reader.Inputs.IndexOf(widen.Output)] = widen.Inputs[0];
                }

                plan.Nodes.Remove(widen);
            }

            plan.Compact();
            MemoryPlanner.Run(plan, reuse: true);
            using var old = Load(Version8(plan), cpu);
            Assert.DoesNotContain(old.Plan.Tensors, t => t.Type == DataType.Half);
            Assert.True(old.Memory.ArenaBytes > engine.Memory.ArenaBytes, $"v8 arena {old.Memory.ArenaBytes} B, v9 {engine.Memory.ArenaBytes} B");
            TestNetworks.SameBits(TestNetworks.Run(engine, inputs, 2), TestNetworks.Run(old, inputs, 2), $"{engine.BackendName}: v9 halves vs v8 float words");
        }
    }

    [Fact]
    public void A_version_8_file_with_a_half_tensor_is_refused()
    {
        var net = TestNetworks.SmallCnn();
        using var engine = EngineBuilder.BuildCpu(net, Config(BuilderPrecision.Fp16, 2));
        using var file = new MemoryStream();
        engine.Serialize(file);
        file.Position = 0;
        var ex = Assert.Throws<InvalidDataException>(() => Load(Version8(EngineSerializer.Read(file)), cpu: true));
        Assert.Contains("is inconsistent", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_engine_file_whose_fp32_step_reads_halves_is_refused()
    {
        // A checksummed file whose FP32 step names a half tensor (a widening conversion dropped): refused at load with
        // the step's name, never run on bytes of the wrong size.
        var net = TestNetworks.SmallCnn();
        var config = Config(BuilderPrecision.Fp32, 2);
        config.LayerPrecisions["pool1"] = LayerPrecision.Half;
        using var engine = EngineBuilder.BuildCpu(net, config);
        using var file = new MemoryStream();
        engine.Serialize(file);
        file.Position = 0;
        var plan = EngineSerializer.Read(file);
        var widen = plan.Nodes.First(n => n.Layer is ConvertLayer { Kind: ConvertKind.FromHalf });
        var reader = plan.Consumers(widen.Output).First();
        reader.Inputs[reader.Inputs.IndexOf(widen.Output)] = widen.Inputs[0];
        plan.Nodes.Remove(widen);
        plan.Compact();
        using var bad = new MemoryStream();
        EngineSerializer.Write(plan, bad);
        var ex = Assert.Throws<InvalidDataException>(() => Engine.DeserializeCpu(new MemoryStream(bad.ToArray())));
        Assert.Contains($"step '{reader.Name}' reads Half", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public unsafe void Widening_packing_and_the_half_im2col_are_exact()
    {
        // Every half bit pattern widens to HalfConvert.ToFloat's float: the kernel and the CPU backend.
        var bits = Enumerable.Range(0, 1 << 16).Select(i => (ushort)i).ToArray();
        var expected = bits.Select(b => HalfConvert.ToFloat(b)).ToArray();
        var accelerator = TestDevices.Cpu.Accelerator;
        using (var x = accelerator.Allocate1D(bits))
        using (var y = accelerator.Allocate1D<float>(bits.Length))
        {
            HalfUnpack.Run(TestDevices.Cpu, x.View, y.View, bits.Length);
            TestDevices.Cpu.Synchronize();
            Exact.EqualBits(expected, y.GetAsArray1D(), "HalfUnpack kernel");
        }

        var host = new float[bits.Length];
        fixed (ushort* px = bits)
        fixed (float* py = host)
        {
            HostConvert.UnpackHalf(px, py, bits.Length);
        }

        Exact.EqualBits(expected, host, "HostConvert.UnpackHalf");

        // Floats pack to the RNE half (ties, overflow, subnormals, NaN): the kernel and the CPU backend; halves round-trip.
        var random = new Random(9);
        var floats = expected.Where(v => !float.IsNaN(v)).Concat(Enumerable.Range(0, 20000).Select(_ => BitConverter.Int32BitsToSingle(random.Next()))).Append(65520f).Append(float.NaN).ToArray();
        var packed = floats.Select(HalfConvert.FromFloat).ToArray();
        Assert.Equal(bits.Where(b => !float.IsNaN(HalfConvert.ToFloat(b))), packed.Take(expected.Count(v => !float.IsNaN(v))));
        using (var x = accelerator.Allocate1D(floats))
        using (var y = accelerator.Allocate1D<ushort>(floats.Length))
        {
            HalfPack.Run(TestDevices.Cpu, x.View, y.View, floats.Length);
            TestDevices.Cpu.Synchronize();
            Assert.Equal(packed, y.GetAsArray1D());
        }

        var hostPacked = new ushort[floats.Length];
        fixed (float* px = floats)
        fixed (ushort* py = hostPacked)
        {
            HostConvert.PackHalf(px, py, floats.Length);
        }

        Assert.Equal(packed, hostPacked);

        // The im2col of a half input copies the halves the float overload rounds from the same values (padding, stride, dilation).
        var p = new ConvProblem(2, 3, 9, 7, 5, 3, 3, StrideH: 2, StrideW: 1, PadH: 2, PadW: 1, DilationH: 2, DilationW: 1);
        var values = HalfConvert.Round(TestData.Float(2 * 9 * 7 * 3, 4, 3f));
        int columns = Im2ColHalf.Columns(p), rows = p.N * p.P * p.Q;
        using var xf = accelerator.Allocate1D(values);
        using var xh = accelerator.Allocate1D(HalfConvert.FromFloats(values));
        using var fromFloats = accelerator.Allocate1D<ushort>((long)rows * columns);
        using var fromHalves = accelerator.Allocate1D<ushort>((long)rows * columns);
        Im2ColHalf.Run(TestDevices.Cpu, xf.View, p, fromFloats.View, columns);
        Im2ColHalf.Run(TestDevices.Cpu, xh.View, p, fromHalves.View, columns);
        TestDevices.Cpu.Synchronize();
        var a = fromFloats.GetAsArray1D();
        Assert.Contains(a, v => v != 0);
        Assert.Equal(a, fromHalves.GetAsArray1D());
    }

    // The plan written as an engine file of version 8 (header rewritten, checksum recomputed).
    private static byte[] Version8(Plan plan)
    {
        using var file = new MemoryStream();
        EngineSerializer.Write(plan, file);
        var bytes = file.ToArray();
        const int header = 8 + 4 + 8 + 32;
        BitConverter.GetBytes(8).CopyTo(bytes, 8);
        SHA256.HashData(bytes.AsSpan(header)).CopyTo(bytes, 20);
        return bytes;
    }

    private static Engine Load(byte[] file, bool cpu) =>
        cpu ? Engine.DeserializeCpu(new MemoryStream(file)) : Engine.Deserialize(new MemoryStream(file), TestDevices.Cpu);
}
