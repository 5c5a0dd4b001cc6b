namespace ILGPUInt8.Training;

/// <summary>
/// Epochs of mini-batch SGD over labelled images, deterministic for a seed: the order of each epoch is a Fisher–Yates
/// shuffle from <see cref="Random"/>(seed + epoch), and every kernel sums in a fixed order whatever the thread count. The
/// GEMMs run on the network's <see cref="TrainableNetwork.Device"/> (the CPU SGEMM or a GPU): the same bits on each.
/// </summary>
public static class Trainer
{
    /// <summary>Trains one epoch (the last partial batch included); <paramref name="progress"/> gets (batches done, total, mean loss so far).</summary>
    public static double Epoch(TrainableNetwork network, LabelledImages data, SgdMomentum sgd, int batchSize, int seed,
        Action<int, int, double>? progress = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var order = Shuffle(data.Count, seed);
        int batches = (data.Count + batchSize - 1) / batchSize;
        double lossSum = 0;
        for (var b = 0; b < batches; b++)
        {
            int from = b * batchSize, count = Math.Min(batchSize, data.Count - from);
            var (x, y) = data.Batch(order, from, count);
            lossSum += network.ComputeGradients(x, y);
            sgd.Step(network.Parameters);
            progress?.Invoke(b + 1, batches, lossSum / (b + 1));
        }

        return lossSum / batches;
    }

    /// <summary>Top-1 accuracy in [0, 1] over all images.</summary>
    public static double Accuracy(TrainableNetwork network, LabelledImages data, int batchSize = 500)
    {
        var order = Enumerable.Range(0, data.Count).ToArray();
        int correct = 0;
        for (var from = 0; from < data.Count; from += batchSize)
        {
            int count = Math.Min(batchSize, data.Count - from);
            var (x, y) = data.Batch(order, from, count);
            var predicted = network.Predict(x, count);
            for (var i = 0; i < count; i++)
            {
                correct += predicted[i] == y[i] ? 1 : 0;
            }
        }

        return (double)correct / data.Count;
    }

    /// <summary>A permutation of 0 … n − 1 (Fisher–Yates from <see cref="Random"/>(seed)).</summary>
    public static int[] Shuffle(int n, int seed)
    {
        var order = Enumerable.Range(0, n).ToArray();
        var random = new Random(seed);
        for (var i = n - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }

        return order;
    }
}
