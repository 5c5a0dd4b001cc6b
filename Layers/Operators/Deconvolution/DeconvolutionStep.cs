using System.Collections.Concurrent;
using ILGPU;
using ILGPUInt8.Kernels.Convolution;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Layers.Runtime;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Layers.Operators;

/// <summary>
/// Transposed convolution, NHWC, weights put in [K][R][S][C/g]. FP32: the gathered float kernel with bias and activation
/// fused. INT8: <see cref="DeconvolutionS8"/> with requantize (+ table) as its epilogue (one operator per batch size,
/// as the operator is bound to its problem).
/// </summary>
internal sealed class DeconvolutionStep : Step
{
    private readonly DeconvolutionLayer _layer;
    private readonly ArrayView<float> _weights;
    private readonly ArrayView<float> _bias;
    private readonly Int8Parameters? _int8;
    private readonly ArrayView<float> _multiplier;
    private readonly ArrayView<int> _biasQ;
    private readonly ArrayView<sbyte> _lut;
    private readonly ArrayView<FixedPointChannel> _channels;
    private readonly ConcurrentDictionary<int, Lazy<DeconvolutionS8>> _operators = new();

    public DeconvolutionStep(Engine engine, PlanNode node)
        : base(engine, node)
    {
        _layer = (DeconvolutionLayer)node.Layer;
        var p = _layer.Problem(1, Input().Dims);
        var krsc = WeightLayout.DeconvCkrsToKrsc<float>(_layer.WeightArray, p.C, p.K, p.Groups, p.R, p.S);
        if (!node.Int8)
        {
            _weights = Upload(krsc);
            _bias = Upload(_layer.BiasArray ?? new float[p.K]);
            return;
        }

        _int8 = Int8Parameters.ForNode(Plan, node, krsc, p.K, p.R * p.S * p.CPerGroup, _layer.BiasArray);
        _multiplier = Upload(_int8.Multiplier);
        _biasQ = Upload(_int8.Bias);
        _lut = Upload(_int8.Lut ?? new sbyte[256]);
        if (_int8.FixedPoint is { } channels)
        {
            _channels = Upload(channels);
        }
    }

    public override void Run(ExecutionContext context, int batch)
    {
        var p = _layer.Problem(batch, Input().Dims);
        if (_int8 is null)
        {
            DeconvolutionFloat.Run(Device, context.View<float>(Input(), batch), _weights, _bias, context.View<float>(Output, batch), p, Node.Fused);
            return;
        }

        var op = _operators.GetOrAdd(batch, n => new Lazy<DeconvolutionS8>(() => Own(new DeconvolutionS8(Device, _int8.Weights, _layer.Problem(n, Input().Dims))))).Value;
        var x = context.View<sbyte>(Input(), batch);
        var y = context.View<sbyte>(Output, batch);
        if (_int8.FixedPoint is not null)
        {
            op.Run(x, new FixedPointRequantizeEpilogue(y, p.K, _channels, _int8.Lo, _lut, _int8.Lut is null ? 0 : 1));
        }
        else if (_int8.Lut is null)
        {
            op.Run(x, new RequantizeEpilogue(y, p.K, _multiplier, _biasQ, _int8.Lo));
        }
        else
        {
            op.Run(x, new RequantizeLutEpilogue(y, p.K, _multiplier, _biasQ, _lut));
        }
    }
}
