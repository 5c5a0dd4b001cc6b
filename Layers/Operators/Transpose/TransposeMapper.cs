using ILGPUInt8.Layers.Network;

namespace ILGPUInt8.Layers.Onnx;

/// <summary>
/// ONNX Transpose → the identity (a view), the channel shuffle perm [0, 2, 1, 3, 4] of [N, g, C/g, H, W] (ShuffleNet's
/// Reshape → Transpose → Reshape) as a <see cref="ChannelShuffleSpec"/>, and any other permutation that keeps the batch
/// at dimension 0 as a <see cref="TransposeSpec"/> (a general transpose of each item); one that moves dimension 0 needs
/// the tensors taken whole (<see cref="OnnxImportOptions.UnitBatch"/>).
/// </summary>
internal sealed class TransposeMapper : IOnnxOpMapper
{
    public IReadOnlyList<string> OpTypes { get; } = ["Transpose"];

    public IReadOnlyList<int> ConstantInputs(OnnxNode node) => [];

    // Transpose's definition has not changed since opset 1 (opset 13 only added types).
    public long? EarliestOpset(string opType) => 1;

    public void Map(OnnxNode node, OnnxMapContext context)
    {
        var x = context.Runtime(node, 0);
        int rank = x.Shape.Count;
        long[] perm = node.GetInts("perm") ?? [.. Enumerable.Range(0, rank).Reverse().Select(i => (long)i)];
        if (perm.Length != rank || perm.Order().Select((p, i) => p == i).Any(ok => !ok))
        {
            throw node.Error($"perm [{string.Join(", ", perm)}] is not a permutation of {rank} dimensions.");
        }

        var shape = perm.Select(p => x.Shape[(int)p]).ToArray();
        if (perm.Select((p, i) => p == i).All(ok => ok))
        {
            context.AddLayer(node, new ReshapeSpec(), [x], shape);
            return;
        }

        if (perm.SequenceEqual([0L, 2, 1, 3, 4]) && !context.UnitBatch)
        {
            context.AddLayer(node, new ChannelShuffleSpec((int)x.Shape[1]), [x], shape);
            return;
        }

        if (perm[0] != 0 && !context.UnitBatch)
        {
            throw node.Unsupported($"perm [{string.Join(", ", perm)}] of {OnnxShapes.Format(x.Shape)} moves the batch dimension (dimension 0)");
        }

        context.AddLayer(node, new TransposeSpec(perm), [x], shape);
    }
}

/// <summary>A general transpose: output dimension k is input dimension Perm[k] (Perm[0] = 0: the batch stays).</summary>
/// <param name="Perm">The permutation of the ONNX dimensions.</param>
internal sealed record TransposeSpec(long[] Perm) : LayerSpec
{
    /// <inheritdoc />
    public override string Kind => "Transpose";

    /// <inheritdoc />
    internal override Layer AddTo(OnnxNetworkAdapter adapter, string name) => adapter.Transpose(this, name);

    internal override LayerSpec WithUnitBatch(IReadOnlyList<IReadOnlyList<long>> inputShapes) => new TransposeSpec([0, .. Perm.Select(p => p + 1)]);
}

/// <summary>Transpose perm [0, 2, 1, 3, 4] of [N, g, C/g, H, W]: a channel shuffle of C = g·(C/g) channels in g groups.</summary>
/// <param name="Groups">g.</param>
public sealed record ChannelShuffleSpec(int Groups) : LayerSpec
{
    /// <inheritdoc />
    public override string Kind => "ChannelShuffle";

    /// <inheritdoc />
    internal override Layer AddTo(OnnxNetworkAdapter adapter, string name) => adapter.Network.AddChannelShuffle(adapter.In(0), Groups, name);
}
