using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Operators;

/// <summary>
/// A general transpose of each item (ONNX Transpose): the item's elements in C order seen as a tensor of
/// <see cref="Shape"/> (any rank) are permuted, y[i_0, …, i_(r−1)] = x[j] with j[Perm[k]] = i[k], and the output item
/// (<see cref="OutputDims"/>) holds y in C order. A pure permutation: INT8 keeps the input's scale. Both backends run it
/// as a gather (<see cref="IItemGather"/>: the ILGPU gather kernel, the CPU backend's ranges).
/// </summary>
public sealed class TransposeLayer : Layer, IItemGather
{
    private readonly int[] _shape;
    private readonly int[] _perm;

    internal TransposeLayer(string name, IEnumerable<Tensor> inputs, int[] shape, int[] perm, TensorDims outputDims)
        : base(name, inputs)
    {
        _shape = shape;
        _perm = perm;
        OutputDims = outputDims;
    }

    /// <inheritdoc />
    public override LayerType Type => LayerType.Transpose;

    /// <summary>The item's shape as the permutation sees it (C order; its volume is the item's).</summary>
    public IReadOnlyList<int> Shape => _shape;

    /// <summary>The permutation: output dimension k is input dimension Perm[k].</summary>
    public IReadOnlyList<int> Perm => _perm;

    /// <summary>The output item's (C, H, W), holding the permuted tensor in C order.</summary>
    public TensorDims OutputDims { get; }

    /// <inheritdoc />
    internal override bool Int8KeepsInputScale => true;

    /// <summary>
    /// map[f] = the C-order input index that C-order output index f reads: with input strides s[d] = ∏ Shape[d+1..] and
    /// the output index i (of shape Shape[Perm[k]]), map[f] = Σ_k i[k]·s[Perm[k]].
    /// </summary>
    internal int[] SourceIndices()
    {
        int rank = _shape.Length;
        var stride = new long[rank];
        long volume = 1;
        for (int d = rank - 1; d >= 0; d--)
        {
            stride[d] = volume;
            volume *= _shape[d];
        }

        var map = new int[volume];
        var index = new int[rank];
        for (long f = 0; f < volume; f++)
        {
            long s = 0;
            for (int k = 0; k < rank; k++)
            {
                s += index[k] * stride[_perm[k]];
            }

            map[f] = (int)s;
            for (int k = rank - 1; k >= 0 && ++index[k] == _shape[_perm[k]]; k--)
            {
                index[k] = 0; // the output index counts in C order: the last dimension fastest
            }
        }

        return map;
    }

    /// <inheritdoc />
    // y[f] = x[map[f]] (C order, one item).
    internal override float[] EvaluateConstant(IReadOnlyList<float[]> inputs, IReadOnlyList<TensorDims> dims)
    {
        var map = SourceIndices();
        var y = new float[map.Length];
        for (int f = 0; f < map.Length; f++)
        {
            y[f] = inputs[0][map[f]];
        }

        return y;
    }

    /// <inheritdoc />
    // NHWC output k = (h·W + w)·C + c is NCHW f = (c·H + h)·W + w; it reads NCHW map[f] = (c'·H' + h')·W' + w' of the
    // input, NHWC (h'·W' + w')·C' + c'.
    int[] IItemGather.ItemMap(TensorDims input, TensorDims output)
    {
        var source = SourceIndices();
        var map = new int[output.Volume];
        for (int c = 0; c < output.C; c++)
        {
            for (int h = 0; h < output.H; h++)
            {
                for (int w = 0; w < output.W; w++)
                {
                    int f = source[(((c * output.H) + h) * output.W) + w];
                    int ci = f / input.Plane, hi = f / input.W % input.H, wi = f % input.W;
                    map[(((h * output.W) + w) * output.C) + c] = (((hi * input.W) + wi) * input.C) + ci;
                }
            }
        }

        return map;
    }

    /// <inheritdoc />
    internal override TensorDims InferOutput(IReadOnlyList<TensorDims> inputs)
    {
        ExpectInputs(inputs, 1);
        long volume = _shape.Aggregate(1L, (a, d) => a * Math.Max(d, 0));
        if (_shape.Length == 0 || _shape.Any(d => d <= 0) || _perm.Length != _shape.Length || !_perm.Order().SequenceEqual(Enumerable.Range(0, _perm.Length)))
        {
            throw Error($"perm [{string.Join(", ", _perm)}] is not a permutation of the dimensions of [{string.Join(", ", _shape)}].");
        }

        if (volume != inputs[0].Volume || volume != OutputDims.Volume || !OutputDims.IsValid)
        {
            throw Error($"[{string.Join(", ", _shape)}] ({volume} elements) does not match the input {inputs[0]} and the output {OutputDims}.");
        }

        return OutputDims;
    }

    /// <inheritdoc />
    internal override void WriteParameters(BinaryWriter writer)
    {
        writer.Write(_shape.Length);
        foreach (int d in _shape)
        {
            writer.Write(d);
        }

        foreach (int p in _perm)
        {
            writer.Write(p);
        }

        writer.Write(OutputDims.C);
        writer.Write(OutputDims.H);
        writer.Write(OutputDims.W);
    }

    /// <summary>Reads what <see cref="WriteParameters"/> wrote.</summary>
    internal static TransposeLayer Read(string name, BinaryReader r)
    {
        int rank = r.ReadInt32();
        if (rank is <= 0 or > 64)
        {
            throw new InvalidDataException($"Transpose '{name}': rank {rank} is out of range.");
        }

        var shape = new int[rank];
        for (int d = 0; d < rank; d++)
        {
            shape[d] = r.ReadInt32();
        }

        var perm = new int[rank];
        for (int d = 0; d < rank; d++)
        {
            perm[d] = r.ReadInt32();
        }

        return new TransposeLayer(name, [], shape, perm, new TensorDims(r.ReadInt32(), r.ReadInt32(), r.ReadInt32()));
    }
}
