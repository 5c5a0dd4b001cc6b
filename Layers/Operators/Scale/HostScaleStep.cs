using System.Runtime.CompilerServices;
using ILGPUInt8.Kernels.Cpu;
using ILGPUInt8.Kernels.IntegerOnly;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Layers.Runtime;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Layers.Operators;

/// <summary>
/// Scale on the CPU backend: FP32 y = (x·scale[j] + shift[j])^power[j], j = i mod count (parameters in NHWC order); INT8
/// (integer-only engines) <see cref="IntegerScale.Apply"/>.
/// </summary>
internal sealed unsafe class HostScaleStep : HostStep
{
    private readonly float[] _scale;
    private readonly float[] _shift;
    private readonly float[] _power;
    private readonly bool _hasPower;
    private readonly int[] _factor = [];
    private readonly FixedPointChannel[] _channels = [];

    public HostScaleStep(Engine engine, PlanNode node)
        : base(engine, node)
    {
        var layer = (ScaleLayer)node.Layer;
        var d = Input().Dims;
        if (node.Int8)
        {
            (_factor, _channels) = layer.IntegerCoefficients(d, Input().Scale, Output.Scale, nhwc: true);
        }

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
        if (Node.Int8)
        {
            var ints = new Int8Ranges { X = context.Pointer<sbyte>(Input(), batch), Y = context.Pointer<sbyte>(Output, batch), Factor = _factor, Channels = _channels };
            ForRanges(Elements(Output, batch), 32768, ref ints);
            return;
        }

        var body = new Ranges { X = context.Pointer<float>(Input(), batch), Y = context.Pointer<float>(Output, batch), Step = this };
        ForRanges(Elements(Output, batch), 32768, ref body);
    }

    private struct Int8Ranges : ICpuRangeBody
    {
        public sbyte* X, Y;
        public int[] Factor;
        public FixedPointChannel[] Channels;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Run(long i0, long i1)
        {
            int count = Factor.Length;
            for (var i = i0; i < i1; i++)
            {
                var j = (int)(i % count);
                Y[i] = (sbyte)IntegerScale.Apply(X[i], Factor[j], Channels[j]);
            }
        }
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
