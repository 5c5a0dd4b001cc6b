using System.Runtime.CompilerServices;
using ILGPUInt8.Kernels.Cpu;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Layers.Runtime;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Layers.Operators;

/// <summary>FP32 scale on the CPU backend: y = (x·scale[j] + shift[j])^power[j], j = i mod count (parameters in NHWC order).</summary>
internal sealed unsafe class HostScaleStep : HostStep
{
    private readonly float[] _scale;
    private readonly float[] _shift;
    private readonly float[] _power;
    private readonly bool _hasPower;

    public HostScaleStep(Engine engine, PlanNode node)
        : base(engine, node)
    {
        var layer = (ScaleLayer)node.Layer;
        var d = Input().Dims;
        var count = (int)ScaleLayer.Count(layer.Mode, d);
        float[] Prepare(float[]? values, float fallback)
        {
            var v = values ?? Enumerable.Repeat(fallback, count).ToArray();
            return layer.Mode == ScaleMode.Elementwise ? WeightLayout.ChwToHwc<float>(v, d.C, d.H, d.W) : v;
        }

        _scale = Prepare(layer.ScaleArray, 1f);
        _shift = Prepare(layer.ShiftArray, 0f);
        _hasPower = layer.HasPower;
        _power = Prepare(layer.PowerArray, 1f);
    }

    public override void Run(ExecutionContext context, int batch)
    {
        var body = new Ranges { X = context.Pointer<float>(Input(), batch), Y = context.Pointer<float>(Output, batch), Step = this };
        ForRanges(Elements(Output, batch), 32768, ref body);
    }

    private struct Ranges : ICpuRangeBody
    {
        public float* X, Y;
        public HostScaleStep Step;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Run(long i0, long i1)
        {
            float[] scale = Step._scale, shift = Step._shift, power = Step._power;
            bool hasPower = Step._hasPower;
            int count = scale.Length;
            for (var i = i0; i < i1; i++)
            {
                var j = (int)(i % count);
                var v = (X[i] * scale[j]) + shift[j];
                Y[i] = hasPower ? MathF.Pow(v, power[j]) : v;
            }
        }
    }
}
