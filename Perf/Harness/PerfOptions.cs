using System.CommandLine;

namespace ILGPUInt8.Perf.Harness;

/// <summary>
/// Every option of the Perf runner, declared once with its description (System.CommandLine rejects any other, with a
/// suggestion). Benchmarks read them through <see cref="BenchContext.Option"/> by name without the dashes; a benchmark
/// that needs a new option adds one line here.
/// </summary>
public static class PerfOptions
{
    /// <summary>Options that take a value: name, description.</summary>
    public static readonly (string Name, string Description)[] Values =
    [
        ("out", "folder for perf.json (and the PTX benchmark's files)"),
        ("peers", "peers.json written by a Perf/peers script in the same device call (ratios to the strongest peer)"),
        ("device", "cpu or cuda (default: CUDA when found)"),
        ("variant", "gemm/tensorcore/fp16gemm/fp16conv: only this kernel variant"),
        ("input", "fp16gemm/fp16conv: only fp16 or tf32"),
        ("only", "conv/fp16conv/ptx: only this case; cpu-engine: gemm, models, fashion or resnet18"),
        ("layer", "conv: only the layers whose name contains this (e.g. \"r18 3x3 64@56\"; the stem runs only when it is empty)"),
        ("compare", "ptx: compare against this PTX file"),
        ("ptx-version", "ptx: the PTX ISA version to write"),
        ("ptxas", "ptx: the ptxas executable"),
        ("threads", "cpu-engine: thread counts of ours and ORT, comma-separated (e.g. 1,2)"),
        ("rounds", "cpu-engine: rounds of blocks (each runner a block of repeats per round); median of the per-round ratios"),
        ("resnet18-batches", "cpu-engine: batch sizes of ResNet-18, comma-separated"),
        ("fashion-batches", "cpuengine: batch sizes of the Fashion CNN, comma-separated"),
        ("resnet18-onnx", "engine, cpu-engine: path of ResNet18.onnx (ML.NET's real weights)"),
        ("zoo", "engine: a model-zoo folder (MANIFEST.txt + ONNX files, from Perf/peers/zoo_peers.py): every model as case zoo_NAME"),
        ("cases", "engine: only these synthetic networks, comma-separated (small_cnn, resnet18, resnet50)"),
        ("data", "training: an IDX folder whose train-* images the epoch runs over (default: the 3000 shipped test images)"),
        ("images", "training: only the first N images of the epoch; multigpu: images to calibrate on (default 10000)"),
        ("precisions", "engine: the engines built, in order (fp32 = TF32 where the device has it, fp32-strict, fp16, int8, best; default fp32,fp16,int8)"),
        ("devices", "multigpu: the devices, as --devices takes them (cuda:0,cuda:1, all, cpu,cpu; default all)"),
    ];

    /// <summary>Flags: name, description (read as "true" when given).</summary>
    public static readonly (string Name, string Description)[] Flags =
    [
        ("quick", "small sizes: a smoke run on the CPU accelerator"),
        ("sweep", "gemm/conv: sweep the tile sizes"),
        ("profile", "cpu-engine: per-step profile"),
        ("breakdown", "cpu-engine: time each part of a steady-state call (the input copy, each step, the output copy)"),
        ("spin-ab", "cpu-engine: also time the INT8 engine with the CPU worker pool sleeping between parallel regions (no spin)"),
        ("with-fp32", "cpu-engine: time our FP32 engine too"),
        ("direct-ab", "cpu-engine: also time the INT8 engine built without the direct convolution (im2col path, no fused pools)"),
        ("halo-ablate", "conv: also time the halo-tile convolution without each of its steps (diagnostic builds, wrong results)"),
        ("residual-ab", "engine: also build each INT8 network with residual-sum fusion flipped (FuseResidualSums A/B, same call)"),
    ];

    /// <summary>--repeats: timed repeats per measurement.</summary>
    public static Option<int> Repeats()
    {
        var option = new Option<int>("--repeats") { Description = "timed repeats per measurement (median, min and max recorded)", DefaultValueFactory = _ => 10, HelpName = "N" };
        option.Validators.Add(r =>
        {
            try
            {
                if (r.GetValueOrDefault<int>() is < 1 or > 100_000)
                {
                    r.AddError("--repeats must be an integer in [1, 100000].");
                }
            }
            catch (InvalidOperationException ex)
            {
                r.AddError(ex.Message);
            }
        });
        return option;
    }
}
