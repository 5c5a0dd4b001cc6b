using ILGPUInt8.Kernels.Cpu;
using ILGPUInt8.Kernels.IntegerOnly;
using ILGPUInt8.Layers.Runtime;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Layers.Operators;

/// <summary>
/// Hard sigmoid on the CPU backend, in ranges over the threads: FP32 y[i] = max(0, min(1, alpha·x[i] + beta)); INT8
/// (integer-only engines) y[i] = lut[x[i] + 128] with the table built with integers.
/// </summary>
internal sealed unsafe class HostHardSigmoidStep(Engine engine, PlanNode node) : HostStep(engine, node)
{
    private readonly sbyte[]? _lut = node.Int8
        ? IntegerActivation.HardSigmoidTable(((HardSigmoidLayer)node.Layer).Alpha, ((HardSigmoidLayer)node.Layer).Beta, engine.Plan.Tensors[node.Inputs[0]].Scale, engine.Plan.Tensors[node.Output].Scale)
        : null;

    public override void Run(ExecutionContext context, int batch)
    {
        var layer = (HardSigmoidLayer)Node.Layer;
        if (_lut is { } lut)
        {
            var table = new HostActivationStep.TableRanges { X = context.Pointer<sbyte>(Input(), batch), Y = context.Pointer<sbyte>(Output, batch), Lut = lut };
            ForRanges(batch * Input().Dims.Volume, 32768, ref table);
            return;
        }

        var body = new Ranges { X = context.Pointer<float>(Input(), batch), Y = context.Pointer<float>(Output, batch), Alpha = layer.Alpha, Beta = layer.Beta };
        ForRanges(batch * Input().Dims.Volume, 4096, ref body);
    }

    private struct Ranges : ICpuRangeBody
    {
        public float* X, Y;
        public float Alpha, Beta;

        public readonly void Run(long i0, long i1)
        {
            for (long i = i0; i < i1; i++)
            {
                Y[i] = HardSigmoidLayer.Apply(X[i], Alpha, Beta);
            }
        }
    }
}
