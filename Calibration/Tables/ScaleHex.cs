using System.Globalization;

namespace ILGPUInt8.Calibration.Tables;

/// <summary>
/// TensorRT's encoding of a scale in its calibration cache: the IEEE-754 bits of the float32 written as 8 hex
/// digits, most significant first (big-endian), e.g. 3c008912 ↔ 0.0078451801.
/// </summary>
public static class ScaleHex
{
    /// <summary>The 8 lower-case hex digits of the bits of <paramref name="scale"/>.</summary>
    public static string ToHex(float scale) => BitConverter.SingleToUInt32Bits(scale).ToString("x8", CultureInfo.InvariantCulture);

    /// <summary>The float32 whose bits the 8 hex digits spell (either case); throws on anything else.</summary>
    public static float FromHex(string hex)
    {
        ArgumentNullException.ThrowIfNull(hex);
        if (hex.Length != 8 || !uint.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var bits))
        {
            throw new FormatException($"'{hex}' is not 8 hex digits.");
        }

        return BitConverter.UInt32BitsToSingle(bits);
    }
}
