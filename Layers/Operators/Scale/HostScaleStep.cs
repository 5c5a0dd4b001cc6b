using System.Runtime.CompilerServices;
using ILGPUInt8.Kernels.Ops;

namespace ILGPUInt8.Layers;

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
        nint x = (nint)context.Pointer<float>(Input(), batch), y = (nint)context.Pointer<float>(Output, batch);
        int count = _scale.Length;
        ForRanges(Elements(Output, batch), 32768, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (i0, i1) =>
        {
            for (var i = i0; i < i1; i++)
            {
                var j = (int)(i % count);
                var v = (((float*)x)[i] * _scale[j]) + _shift[j];
                ((float*)y)[i] = _hasPower ? MathF.Pow(v, _power[j]) : v;
            }
        });
    }
}
