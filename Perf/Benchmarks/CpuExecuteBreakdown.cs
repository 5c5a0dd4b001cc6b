using System.Diagnostics;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Perf.Benchmarks;

/// <summary>
/// <c>cpu-engine --breakdown</c>: where a steady-state call of the CPU backend spends its time, each part timed in a
/// tight loop (median over blocks of the per-call time of a block): the whole call through the dictionary overload
/// (what the cpu-engine rows time), the span overload, the input copy, each step's Run alone (the same inputs again:
/// steps are idempotent on the context's tensors) and the output copy. The parts' sum against the whole call says
/// what the call costs beyond its steps.
/// </summary>
internal static class CpuExecuteBreakdown
{
    public static void Run(string label, ExecutionContext context, float[] input, int batch)
    {
        var engine = context.Engine;
        var inputs = new Dictionary<string, float[]>(StringComparer.Ordinal) { [engine.Inputs[0].Name] = input };
        var output = new float[engine.Outputs[0].Dims.Volume * batch];
        string inName = engine.Inputs[0].Name, outName = engine.Outputs[0].Name;
        // Short blocks (≈ 50 µs at batch 1): on a loaded machine a block longer than the scheduler's slice times our
        // preemption, not our code; the median of many short blocks does not.
        int calls = batch >= 32 ? 1 : 4;
        const int Blocks = 401;
        var parts = new List<(string Name, Action Run)>
        {
            ("Execute(dictionary)", () => context.Execute(inputs, batch)),
            ("Execute(span, span)", () => context.Execute(input, output, batch)),
            ("SetInput(span)", () => context.SetInput(inName, input, batch)),
            ("Enqueue (all steps)", () => context.Enqueue(batch)),
        };
        var steps = engine.Steps;
        parts.Add(("input convert (NCHW float → NHWC tensor)", () => Convert(context, batch, input: true)));
        parts.Add(("output convert (NHWC tensor → NCHW float)", () => Convert(context, batch, input: false)));
        parts.Add(("every step in order (no converts)", () => RunSteps(steps, context, batch)));
        foreach (var step in engine.Steps)
        {
            parts.Add(("  step " + step.Node.Name, () => step.Run(context, batch)));
        }

        parts.Add(("ReadOutput(span)", () => context.ReadOutput(outName, output, batch)));
        foreach (var (_, run) in parts)
        {
            for (var i = 0; i < 200; i++)
            {
                run();
            }
        }

        Console.WriteLine($"  breakdown {label} ({calls} calls a block, median of {Blocks} blocks, µs a call):");
        foreach (var (name, run) in parts)
        {
            var blocks = new double[Blocks];
            for (var b = 0; b < blocks.Length; b++)
            {
                var watch = Stopwatch.StartNew();
                for (var i = 0; i < calls; i++)
                {
                    run();
                }

                blocks[b] = watch.Elapsed.TotalMicroseconds / calls;
            }

            Array.Sort(blocks);
            Console.WriteLine($"    {name,-48} {blocks[Blocks / 2],9:F2} (min {blocks[0]:F2}, p90 {blocks[Blocks * 9 / 10]:F2})");
        }
    }

    private static unsafe void Convert(ExecutionContext context, int batch, bool input)
    {
        var plan = context.Engine.Plan;
        var t = plan.Tensors[input ? plan.Inputs[0] : plan.Outputs[0]];
        if (input)
        {
            Layers.Runtime.HostConvert.FromNchw((float*)context.InputAddress(0), context, t, t.Dims.WithBatch(batch));
        }
        else
        {
            Layers.Runtime.HostConvert.ToNchw(context, t, t.Dims.WithBatch(batch), (float*)context.OutputAddress(0));
        }
    }

    private static void RunSteps(IReadOnlyList<Layers.Runtime.Step> steps, ExecutionContext context, int batch)
    {
        for (var i = 0; i < steps.Count; i++)
        {
            steps[i].Run(context, batch);
        }
    }
}
