using System.Runtime.CompilerServices;

namespace ILGPUInt8.Kernels.Arch;

/// <summary>
/// Four int8 values in one 32-bit word, little-endian: word = b0 | b1 &lt;&lt; 8 | b2 &lt;&lt; 16 | b3 &lt;&lt; 24
/// (the layout dp4a, mma.sync and cuDNN's INT8x4 use). Two int16 values likewise for dp2a.
/// </summary>
internal static class PackedInt8
{
    /// <summary>Packs four int8 lanes (lane 0 in the low byte).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Pack(int b0, int b1, int b2, int b3) =>
        (b0 & 0xFF) | ((b1 & 0xFF) << 8) | ((b2 & 0xFF) << 16) | (b3 << 24);

    /// <summary>Lane <paramref name="lane"/> (0-3) of a packed word, sign-extended.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Lane(int word, int lane) => (sbyte)(word >> (8 * lane));

    /// <summary>Packs two int16 values (for the a operand of dp2a).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Pack16(int lo, int hi) => (lo & 0xFFFF) | (hi << 16);

    /// <summary>Half <paramref name="half"/> (0-1) of a packed 16-bit pair, sign-extended.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Half16(int word, int half) => (short)(word >> (16 * half));
}
