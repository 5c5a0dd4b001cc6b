using System.Runtime.CompilerServices;
using ILGPUInt8.Kernels.Cpu;
using ILGPUInt8.Kernels.IntegerOnly;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Runtime;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Layers.Operators;

/// <summary>
/// Concatenation on the CPU backend, seen as [outer, length, inner] along the layer's axis (<see cref="TensorDims.Nhwc"/>):
/// per outer index, one block of length_i·inner values per input (INT8 requantized to the output scale; integer-only
/// engines with a Q31 multiplier, <see cref="IntegerRescale"/>).
/// </summary>
internal sealed unsafe class HostConcatStep(Engine engine, PlanNode node) : HostStep(engine, node)
{
    // Made once: a step allocates nothing when it runs.
    private readonly (int Total, (int Block, int Offset)[] Inputs) _blocks = ((ConcatenationLayer)node.Layer).NhwcBlocks(
        engine.Plan.Tensors[node.Output].Dims, [.. node.Inputs.Select(id => engine.Plan.Tensors[id].Dims)]);

    public override void Run(ExecutionContext context, int batch)
    {
        var layer = (ConcatenationLayer)Node.Layer;
        int pixels = Output.Dims.Nhwc(layer.Axis, batch).Outer;
        var (total, blocks) = _blocks;
        for (var i = 0; i < blocks.Length; i++)
        {
            var t = Input(i);
            var (c, o) = blocks[i];
            bool constant = t.Constant is not null;
            long items = t.Dims.Nhwc(layer.Axis, 1).Outer;
            if (Node.Int8)
            {
                var body = new Int8Ranges
                {
                    X = context.Pointer<sbyte>(t, batch),
                    Y = context.Pointer<sbyte>(Output, batch),
                    Multiplier = Int8ElementWise.RatioMultiplier(t.Scale, Output.Scale),
                    IntegerOnly = Plan.IntegerOnly,
                    Rescale = Plan.IntegerOnly ? IntegerRescale.Ratio(t.Scale, Output.Scale) : default,
                    Block = new Block(c, o, total, constant, items),
                };
                ForRanges(pixels, 1024, ref body);
            }
            else
            {
                var body = new FloatRanges { X = context.Pointer<float>(t, batch), Y = context.Pointer<float>(Output, batch), Block = new Block(c, o, total, constant, items) };
                ForRanges(pixels, 1024, ref body);
            }
        }
    }

    /// <summary>Where input block of outer index p lies: c values at x + (constant ? p mod items : p)·c, to y + p·total + offset.</summary>
    private readonly record struct Block(int C, int Offset, int Total, bool Constant, long Items)
    {
        public long Source(long p) => (Constant ? p % Items : p) * C;

        public long Destination(long p) => (p * Total) + Offset;
    }

    private struct Int8Ranges : ICpuRangeBody
    {
        public sbyte* X, Y;
        public float Multiplier;
        public bool IntegerOnly;
        public FixedPointChannel Rescale;
        public Block Block;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Run(long p0, long p1)
        {
            for (var p = p0; p < p1; p++)
            {
                sbyte* src = X + Block.Source(p), dst = Y + Block.Destination(p);
                if (IntegerOnly)
                {
                    for (var j = 0; j < Block.C; j++)
                    {
                        dst[j] = (sbyte)IntegerRescale.Apply(src[j], Rescale, -127);
                    }

                    continue;
                }

                for (var j = 0; j < Block.C; j++)
                {
                    dst[j] = (sbyte)QuantMath.Requantize(src[j], 0, Multiplier, -127);
                }
            }
        }
    }

    private struct FloatRanges : ICpuRangeBody
    {
        public float* X, Y;
        public Block Block;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Run(long p0, long p1)
        {
            for (var p = p0; p < p1; p++)
            {
                new ReadOnlySpan<float>(X + Block.Source(p), Block.C).CopyTo(new Span<float>(Y + Block.Destination(p), Block.C));
            }
        }
    }
}
