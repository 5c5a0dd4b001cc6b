using ILGPUInt8.Kernels.Pow2;

namespace ILGPUInt8.Training.Inq;

/// <summary>
/// Storage of a network's quantized weights (convolution and fully connected) in three forms: float32, int8, and
/// (sign, exponent) nibbles (<see cref="Pow2Nibbles"/>: ⌈K/2⌉ bytes a row plus one exponent byte a tensor). Biases and
/// batch-norm parameters (float) are counted apart in <see cref="OtherFloatBytes"/>.
/// </summary>
/// <param name="Weights">Quantized weights.</param>
/// <param name="Float32Bytes">4 bytes a weight.</param>
/// <param name="Int8Bytes">1 byte a weight.</param>
/// <param name="NibbleBytes">Packed nibbles and exponent bases.</param>
/// <param name="OtherFloatBytes">Float parameters that stay float (biases, batch-norm γ and β).</param>
public readonly record struct Pow2ModelSize(long Weights, long Float32Bytes, long Int8Bytes, long NibbleBytes, long OtherFloatBytes)
{
    /// <summary>The sizes for <paramref name="network"/>, whose quantized weights must all be powers of two with at most 7 exponents a tensor.</summary>
    public static Pow2ModelSize Of(TrainableNetwork network)
    {
        long weights = 0, nibbles = 0;
        foreach (var p in IncrementalQuantizer.QuantizedWeights(network))
        {
            int rows = p.Shape[0], k = p.Value.Length / rows;
            nibbles += Pow2Nibbles.Pack(p.Value, rows, k).Packed.Length + 1;
            weights += p.Value.Length;
        }

        long other = 4L * network.Parameters.Where(p => !p.Decay).Sum(p => p.Value.Length);
        return new Pow2ModelSize(weights, 4 * weights, weights, nibbles, other);
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Weights:N0} weights: float32 {Float32Bytes:N0} B, int8 {Int8Bytes:N0} B, nibbles {NibbleBytes:N0} B ({(double)Float32Bytes / NibbleBytes:F1}× smaller than float32); float biases and batch norm {OtherFloatBytes:N0} B";
}
