namespace ILGPUInt8.Calibration.Reports;

/// <summary>
/// Error of INT8 results x̂ against FP32 results x, accumulated over any number of pairs of arrays (held-out batches):
/// SQNR = 20·log10(‖x‖ / ‖x − x̂‖) dB, cosine similarity x·x̂ / (‖x‖‖x̂‖), and max |x − x̂|. Pairs where either value is
/// NaN or ±Inf are counted apart and left out. Never NaN: a perfect match has SQNR +Inf (also 0 vs 0), an error on a
/// zero signal −Inf; cosine is 1 when both are zero and 0 when only one is.
/// </summary>
public sealed class QuantizationError
{
    /// <summary>Finite pairs compared.</summary>
    public long Count { get; private set; }

    /// <summary>Pairs left out because a value was NaN or ±Inf.</summary>
    public long NonFinitePairs { get; private set; }

    /// <summary>‖x‖².</summary>
    public double SignalSquares { get; private set; }

    /// <summary>‖x − x̂‖².</summary>
    public double ErrorSquares { get; private set; }

    /// <summary>‖x̂‖².</summary>
    public double QuantizedSquares { get; private set; }

    /// <summary>x · x̂.</summary>
    public double Dot { get; private set; }

    /// <summary>max |x − x̂|.</summary>
    public double MaxAbsError { get; private set; }

    /// <summary>20·log10(‖x‖ / ‖x − x̂‖) in dB (= 10·log10 of the squares).</summary>
    public double SqnrDb => ErrorSquares == 0 ? double.PositiveInfinity
        : SignalSquares == 0 ? double.NegativeInfinity
        : 10 * Math.Log10(SignalSquares / ErrorSquares);

    /// <summary>x·x̂ / (‖x‖·‖x̂‖), clamped to [-1, 1].</summary>
    public double Cosine => SignalSquares == 0 && QuantizedSquares == 0 ? 1
        : SignalSquares == 0 || QuantizedSquares == 0 ? 0
        : Math.Clamp(Dot / Math.Sqrt(SignalSquares * QuantizedSquares), -1, 1);

    /// <summary>Adds one pair of equally long arrays: FP32 reference and INT8 (dequantized) result.</summary>
    public void Add(ReadOnlySpan<float> reference, ReadOnlySpan<float> quantized)
    {
        if (reference.Length != quantized.Length)
        {
            throw new ArgumentException($"The INT8 result has {quantized.Length} values, the FP32 reference {reference.Length}.", nameof(quantized));
        }

        double signal = 0, error = 0, q2 = 0, dot = 0, max = MaxAbsError;
        long count = 0, nonFinite = 0;
        for (var i = 0; i < reference.Length; i++)
        {
            double x = reference[i], y = quantized[i];
            if (!double.IsFinite(x) || !double.IsFinite(y))
            {
                nonFinite++;
                continue;
            }

            double e = x - y;
            signal += x * x;
            error += e * e;
            q2 += y * y;
            dot += x * y;
            max = Math.Max(max, Math.Abs(e));
            count++;
        }

        Count += count;
        NonFinitePairs += nonFinite;
        SignalSquares += signal;
        ErrorSquares += error;
        QuantizedSquares += q2;
        Dot += dot;
        MaxAbsError = max;
    }
}
