using ILGPUInt8.Training.Layers;

namespace ILGPUInt8.Training;

/// <summary>
/// A chain of trainable layers ending in logits, trained with <see cref="SoftmaxCrossEntropy"/> (a model's final Softmax
/// is the loss head, not a layer). Input and activations are NHWC floats; for one-channel images NCHW is the same.
/// </summary>
public sealed class TrainableNetwork
{
    /// <summary>A network of <paramref name="layers"/> (each one's input shape the previous one's output).</summary>
    public TrainableNetwork(IReadOnlyList<ITrainLayer> layers)
    {
        if (layers.Count == 0)
        {
            throw new ArgumentException("A network needs at least one layer.", nameof(layers));
        }

        for (var i = 1; i < layers.Count; i++)
        {
            if (layers[i].Input.Volume != layers[i - 1].Output.Volume)
            {
                throw new ArgumentException($"Layer '{layers[i].Name}' takes {layers[i].Input}, but '{layers[i - 1].Name}' gives {layers[i - 1].Output}.", nameof(layers));
            }
        }

        Layers = layers;
    }

    /// <summary>The layers in order.</summary>
    public IReadOnlyList<ITrainLayer> Layers { get; }

    /// <summary>One item's input shape.</summary>
    public FeatureShape Input => Layers[0].Input;

    /// <summary>Number of classes (logits per item).</summary>
    public int Classes => Layers[^1].Output.Volume;

    /// <summary>
    /// Where the convolution and fully connected GEMMs run (<see cref="TrainingDevice.Host"/> unless set): every device
    /// gives bit-identical results. Setting it sets every layer's; the network does not own (dispose) it.
    /// </summary>
    public TrainingDevice Device
    {
        get;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            field = value;
            foreach (var layer in Layers.OfType<IDeviceLayer>())
            {
                layer.Device = value;
            }
        }
    } = TrainingDevice.Host;

    /// <summary>Every trainable parameter.</summary>
    public IEnumerable<Parameter> Parameters => Layers.SelectMany(l => l.Parameters);

    /// <summary>Logits [batch × classes].</summary>
    public float[] Forward(float[] x, int batch)
    {
        if (x.Length != batch * Input.Volume)
        {
            throw new ArgumentException($"{x.Length} input values for {batch} items of {Input}.", nameof(x));
        }

        foreach (var layer in Layers)
        {
            x = layer.Forward(x, batch);
        }

        return x;
    }

    /// <summary>Forward, loss and backward: every parameter's gradient is written; returns the mean loss.</summary>
    public double ComputeGradients(float[] x, ReadOnlySpan<byte> labels)
    {
        var logits = Forward(x, labels.Length);
        var (loss, dy) = SoftmaxCrossEntropy.Compute(logits, labels, Classes);
        float[]? d = dy;
        for (var i = Layers.Count - 1; i >= 0 && d is not null; i--)
        {
            d = Layers[i].Backward(d, needInputGradient: i > 0);
        }

        return loss;
    }

    /// <summary>The arg-max class of each item (the first maximum).</summary>
    public int[] Predict(float[] x, int batch)
    {
        var logits = Forward(x, batch);
        var classes = new int[batch];
        for (var n = 0; n < batch; n++)
        {
            int best = 0;
            for (var k = 1; k < Classes; k++)
            {
                if (logits[(n * Classes) + k] > logits[(n * Classes) + best])
                {
                    best = k;
                }
            }

            classes[n] = best;
        }

        return classes;
    }
}
