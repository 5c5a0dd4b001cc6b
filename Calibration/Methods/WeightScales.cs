namespace ILGPUInt8.Calibration.Methods;

/// <summary>
/// Per-output-channel weight scales (no calibration data needed): weights laid out [K][rest] (output channel first,
/// as OIHW/KRSC/[N][K] all are), T_k = max |W[k]| and s_k = (float)(T_k / 127). An all-zero channel gets T_k = 127,
/// s_k = 1 and is listed in <see cref="ChannelScales.ZeroChannels"/>. NaN or ±Inf weights are an error.
/// </summary>
public static class WeightScales
{
    /// <summary>Scales of <paramref name="outputChannels"/> contiguous channels of <paramref name="weights"/>.</summary>
    public static ChannelScales PerOutputChannel(ReadOnlySpan<float> weights, int outputChannels)
    {
        if (outputChannels <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(outputChannels), outputChannels, "There must be at least one output channel.");
        }

        if (weights.Length == 0 || weights.Length % outputChannels != 0)
        {
            throw new ArgumentException($"{weights.Length} weights are not {outputChannels} equal non-empty channels.", nameof(weights));
        }

        int per = weights.Length / outputChannels;
        var thresholds = new float[outputChannels];
        var scales = new float[outputChannels];
        var zero = new List<int>();
        for (var k = 0; k < outputChannels; k++)
        {
            float t = 0f;
            var channel = weights.Slice(k * per, per);
            for (var i = 0; i < channel.Length; i++)
            {
                if (!float.IsFinite(channel[i]))
                {
                    throw new ArgumentException($"weights[{(k * per) + i}] = {channel[i]} (channel {k}) is not finite.", nameof(weights));
                }

                t = Math.Max(t, Math.Abs(channel[i]));
            }

            if (t == 0f)
            {
                zero.Add(k);
                thresholds[k] = (float)CalibrationResult.DegenerateThreshold;
                scales[k] = 1f;
            }
            else
            {
                thresholds[k] = t;
                scales[k] = CalibrationResult.ScaleOf(t);
            }
        }

        return new ChannelScales(thresholds, scales, zero);
    }
}

/// <summary>Per-channel thresholds T_k and scales s_k = T_k / 127, with the all-zero channels (T = 127, s = 1).</summary>
/// <param name="Thresholds">T_k per output channel.</param>
/// <param name="Scales">s_k per output channel.</param>
/// <param name="ZeroChannels">Channels whose weights are all zero (flagged <see cref="CalibrationFlags.ZeroChannel"/>).</param>
public sealed record ChannelScales(IReadOnlyList<float> Thresholds, IReadOnlyList<float> Scales, IReadOnlyList<int> ZeroChannels)
{
    /// <summary>ZeroChannel when any channel is all zero, else None.</summary>
    public CalibrationFlags Flags => ZeroChannels.Count > 0 ? CalibrationFlags.ZeroChannel : CalibrationFlags.None;
}
