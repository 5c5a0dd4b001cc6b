namespace ILGPUInt8.Training;

/// <summary>
/// The loss head: p = softmax(z) per item, loss = −(1/N) Σ_n log p[n][label_n]; ∂loss/∂z[n][k] = (p[n][k] − [k = label_n]) / N.
/// Softmax subtracts the row maximum first (no overflow); sums in double.
/// </summary>
public static class SoftmaxCrossEntropy
{
    /// <summary>The mean loss over the batch and ∂loss/∂logits.</summary>
    public static (double Loss, float[] Gradient) Compute(ReadOnlySpan<float> logits, ReadOnlySpan<byte> labels, int classes)
    {
        int batch = labels.Length;
        if (logits.Length != batch * classes)
        {
            throw new ArgumentException($"{logits.Length} logits for {batch} labels of {classes} classes.", nameof(logits));
        }

        var gradient = new float[logits.Length];
        double loss = 0;
        for (var n = 0; n < batch; n++)
        {
            var z = logits.Slice(n * classes, classes);
            int label = labels[n];
            if (label >= classes)
            {
                throw new ArgumentException($"Label {label} of item {n} is not below {classes}.", nameof(labels));
            }

            double max = double.NegativeInfinity;
            foreach (var v in z)
            {
                max = Math.Max(max, v);
            }

            double sum = 0;
            foreach (var v in z)
            {
                sum += Math.Exp(v - max);
            }

            double logSum = Math.Log(sum) + max;
            loss -= z[label] - logSum;
            for (var k = 0; k < classes; k++)
            {
                double p = Math.Exp(z[k] - logSum);
                gradient[(n * classes) + k] = (float)((p - (k == label ? 1 : 0)) / batch);
            }
        }

        return (loss / batch, gradient);
    }
}
