using ILGPUInt8.Kernels.Quantization;

namespace ILGPUInt8.Kernels.Reference;

/// <summary>Concatenation and padding references over NCHW data.</summary>
internal static class ShapeReference
{
    /// <summary>Concatenates along C: each part is [N, C_i, H, W]; int8 parts pass through <paramref name="convert"/> (null: copy).</summary>
    public static T[] Concat<T>(IReadOnlyList<T[]> parts, IReadOnlyList<int> channels, int n, int hw, Func<int, T, T>? convert = null)
    {
        ArgumentNullException.ThrowIfNull(parts);
        ArgumentNullException.ThrowIfNull(channels);
        var total = channels.Sum();
        var y = new T[(long)n * total * hw];
        for (var b = 0; b < n; b++)
        {
            var offset = 0;
            for (var part = 0; part < parts.Count; part++)
            {
                for (var c = 0; c < channels[part]; c++)
                {
                    for (var p = 0; p < hw; p++)
                    {
                        var v = parts[part][(((b * channels[part]) + c) * hw) + p];
                        y[(((b * total) + offset + c) * hw) + p] = convert is null ? v : convert(part, v);
                    }
                }

                offset += channels[part];
            }
        }

        return y;
    }

    /// <summary>The int8 concat conversion: clamp(round_half_even(f32(q) · m), −127, 127).</summary>
    public static sbyte RequantizeCopy(sbyte q, float multiplier) => (sbyte)QuantMath.Requantize(q, 0, multiplier, -127);

    /// <summary>Constant spatial padding of NCHW [N, C, H, W].</summary>
    public static T[] Pad<T>(ReadOnlySpan<T> x, int n, int c, int h, int w, int top, int bottom, int left, int right, T value)
    {
        int oh = h + top + bottom, ow = w + left + right;
        var y = new T[(long)n * c * oh * ow];
        Array.Fill(y, value);
        for (var b = 0; b < n * c; b++)
        {
            for (var i = 0; i < h; i++)
            {
                for (var j = 0; j < w; j++)
                {
                    y[(((b * oh) + i + top) * ow) + j + left] = x[(((b * h) + i) * w) + j];
                }
            }
        }

        return y;
    }
}
