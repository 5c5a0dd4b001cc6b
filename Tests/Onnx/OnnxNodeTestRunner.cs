using ILGPUInt8.Layers.Onnx;
using ILGPUInt8.Layers.Onnx.Reference;
using ILGPUInt8.Tests.Infrastructure;

namespace ILGPUInt8.Tests.Onnx;

/// <summary>
/// Runs one ONNX node test (model.onnx with test_data_set_*/input_*.pb and output_*.pb): inputs that the
/// importer needs as constants (weights, shapes, bounds) or that do not share the first input's batch become
/// initializers, the rest are run-time inputs with the batch fixed to the first one's; the imported network
/// runs on the scalar reference interpreter and every output is compared with |y − e| ≤ atol + rtol·|e|.
/// </summary>
internal static class OnnxNodeTestRunner
{
    public const double RelativeTolerance = 1e-3;
    public const double AbsoluteTolerance = 1e-5;

    /// <summary>
    /// Runs every data set of the test; returns null on success or what failed (a folder without data sets fails). With <paramref name="engine"/> the
    /// network goes through <see cref="OnnxNetworkLoader"/> and an FP32 engine on the CPU accelerator instead of the
    /// reference interpreter (same tolerance). With <paramref name="unitBatch"/> a graph the importer refuses is imported
    /// again with its tensors taken whole (<see cref="OnnxImportOptions.UnitBatch"/>), as <c>ilgpu-int8 run</c> does.
    /// </summary>
    public static string? Run(string directory, bool engine = false, bool unitBatch = false)
    {
        var model = OnnxModel.Load(Path.Combine(directory, "model.onnx"));
        var sets = Directory.GetDirectories(directory, "test_data_set_*").Order(StringComparer.Ordinal).ToList();
        if (sets.Count == 0)
        {
            return $"{directory} has no test_data_set_* folder: nothing was compared";
        }

        foreach (string set in sets)
        {
            var inputs = model.Graph.Inputs.Select((v, i) => Tensor(set, "input", i)).ToArray();
            var constantNames = ConstantInputNames(model);
            var runtime = new List<int>();
            for (int i = 0; i < inputs.Length; i++)
            {
                string name = model.Graph.Inputs[i].Name;
                bool batched = runtime.Count == 0 || (inputs[i].Dims.Count == inputs[runtime[0]].Dims.Count
                    && inputs[i].Dims.Count > 0 && inputs[i].Dims[0] == inputs[runtime[0]].Dims[0]);
                if (!constantNames.Contains(name) && batched && inputs[i].IsFloat && inputs[i].Dims.Count > 0)
                {
                    runtime.Add(i);
                }
            }
            if (runtime.Count == 0)
            {
                return "no float run-time input";
            }
            if (inputs[runtime[0]].Dims[0] == 0)
            {
                return "an empty batch";
            }
            var options = new OnnxImportOptions
            {
                BatchSize = (int)inputs[runtime[0]].Dims[0],
                ConstantInputs = Enumerable.Range(0, inputs.Length).Where(i => !runtime.Contains(i))
                    .ToDictionary(i => model.Graph.Inputs[i].Name, i => inputs[i]),
            };
            var feeds = runtime.ToDictionary(i => model.Graph.Inputs[i].Name, i => ReferenceTensor.From(inputs[i]));
            ImportedNetwork network;
            IReadOnlyDictionary<string, ReferenceTensor> outputs;
            try
            {
                network = OnnxImporter.Import(model, options);
                outputs = engine ? RunEngine(network, feeds, options.BatchSize.Value) : OnnxReference.Run(network, feeds);
            }
            catch (OnnxImportException) when (unitBatch)
            {
                // As 'ilgpu-int8 run' does: the tensors taken whole as one item of batch 1 ([d0, …] runs as [1, d0, …]).
                network = OnnxImporter.Import(model, options with { UnitBatch = true });
                var whole = feeds.ToDictionary(f => f.Key, f => new ReferenceTensor([1, .. f.Value.Shape], f.Value.Data));
                outputs = (engine ? RunEngine(network, whole, 1) : OnnxReference.Run(network, whole))
                    .ToDictionary(p => p.Key, p => new ReferenceTensor([.. p.Value.Shape.Skip(1)], p.Value.Data));
            }

            for (int o = 0; o < model.Graph.Outputs.Count; o++)
            {
                var expected = Tensor(set, "output", o);
                var actual = outputs[network.Outputs[o].Name];
                if (!actual.Shape.SequenceEqual(expected.Dims))
                {
                    return $"{Path.GetFileName(set)} output {o}: shape [{string.Join(", ", actual.Shape)}], expected [{string.Join(", ", expected.Dims)}]";
                }
                float[] e = expected.ToFloatArray();
                for (int k = 0; k < e.Length; k++)
                {
                    double diff = Math.Abs((double)actual.Data[k] - e[k]);
                    if (!(diff <= AbsoluteTolerance + (RelativeTolerance * Math.Abs(e[k]))) && !(float.IsNaN(e[k]) && float.IsNaN(actual.Data[k])))
                    {
                        return $"{Path.GetFileName(set)} output {o}: element {k} is {actual.Data[k]}, expected {e[k]}";
                    }
                }
            }
        }
        return null;
    }

    /// <summary>The network as an FP32 engine on the CPU accelerator; outputs reshaped to the imported shapes.</summary>
    private static Dictionary<string, ReferenceTensor> RunEngine(ImportedNetwork network, Dictionary<string, ReferenceTensor> feeds, int batch)
    {
        var loaded = OnnxNetworkLoader.FromImported(network, "node_test");
        using var built = EngineBuilder.Build(loaded.Network, new BuilderConfig { MaxBatchSize = batch }, TestDevices.Cpu);
        using var context = built.CreateExecutionContext();
        var results = context.Execute(feeds.ToDictionary(f => f.Key, f => f.Value.Data), batch);
        return network.Outputs.ToDictionary(o => o.Name, o => new ReferenceTensor(o.WithBatch(batch), results[o.Name]));
    }

    private static OnnxTensor Tensor(string set, string kind, int i) =>
        OnnxModel.ParseTensor(File.ReadAllBytes(Path.Combine(set, $"{kind}_{i}.pb")));

    private static HashSet<string> ConstantInputNames(OnnxModel model)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in model.Graph.Nodes)
        {
            foreach (int slot in OnnxImporter.ConstantInputs(node))
            {
                if (node.InputOrNull(slot) is { } name)
                {
                    names.Add(name);
                }
            }
        }
        return names;
    }
}
