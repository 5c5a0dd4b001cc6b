using System.Runtime.CompilerServices;
using ILGPU;

namespace ILGPUInt8.Calibration.Histograms;

/// <summary>
/// The binning rule shared by the device kernel and the host reference, so both compute the same bits:
/// a finite value x goes to bin = min(floor(|x| / amax · 2048), 2047), the division and the multiply in float32
/// (IEEE, round to nearest; ×2048 is exact). |x| is taken by clearing the sign bit. NaN and ±Inf are never binned.
/// A range amax = 0 (every finite value is 0) is replaced by 1 in the formula, so 0 goes to bin 0, never 0/0.
/// The device kernel computes the same bins with <see cref="FastBin"/>, a multiply that falls back to the division
/// whenever the product is too close to a bin edge for its floor to be certain.
/// </summary>
public static class HistogramBinning
{
    /// <summary>Bins per histogram.</summary>
    public const int Bins = 2048;

    /// <summary>Slots of the device count buffer: the bins, then NaN, then ±Inf.</summary>
    public const int Slots = Bins + 2;

    /// <summary>Slot of the NaN count.</summary>
    public const int NaNSlot = Bins;

    /// <summary>Slot of the ±Inf count.</summary>
    public const int InfinitySlot = Bins + 1;

    /// <summary>Bits of +Inf with the sign cleared; |x| bits below it are finite, above it NaN.</summary>
    internal const int InfinityBits = 0x7F800000;

    /// <summary>
    /// The bin of a finite |x| ≤ amax: t = |x| / amax · 2048 (float32), bin = t &lt; 2047 ? (int)t : 2047
    /// (the same as min(floor(t), 2047) for t ≥ 0, and safe for t = +Inf when |x| exceeds amax).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Bin(float absX, float amax)
    {
        float t = absX / amax * 2048f;
        return t < 2047f ? (int)t : 2047;
    }

    /// <summary>The amax passed to <see cref="Bin"/>: the range itself, or 1 when the range is 0.</summary>
    public static float KernelRange(float amax) => amax > 0f ? amax : 1f;

    /// <summary>The factor of <see cref="FastBin"/>: r = 2048 / amax in float32, or NaN when that overflows (tiny amax).</summary>
    public static float FastScale(float kernelRange)
    {
        float r = 2048f / kernelRange;
        return float.IsFinite(r) ? r : float.NaN;
    }

    /// <summary>
    /// <see cref="Bin"/> without a division on almost every value. Let E = 2048·|x|/amax exactly. The spec's
    /// t = fl(fl(|x| / amax) · 2048) and the estimate t' = fl(|x| · fl(2048 / amax)) are each within 3·2⁻²⁴·E of E, so
    /// when t' is at least m = t'·2⁻²¹ (≥ 8·2⁻²⁴·t') away from every integer, ⌊t⌋ = ⌊t'⌋ and the bin is
    /// min(⌊t'⌋, 2047); otherwise (about 2·m of the values, ≤ 0.2 % near the top bins) the division is done.
    /// A NaN factor (overflowed) makes every comparison false and so always divides; t' = 0 is bin 0 at once.
    /// The result equals <see cref="Bin"/> for every finite |x| (tested at and around every edge).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int FastBin(float absX, float amax, float scale)
    {
        float t = absX * scale;
        int b = (int)t;
        float frac = t - b;
        float margin = t * MarginFactor;
        return frac >= margin && frac <= 1f - margin ? Math.Min(b, 2047) : Bin(absX, amax);
    }

    /// <summary>2⁻²¹: the relative distance from an edge below which <see cref="FastBin"/> divides.</summary>
    private const float MarginFactor = 1f / 2097152f;

    /// <summary>|x| bits: the float's bits with the sign cleared (an int compare on them orders non-negative floats).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int AbsBits(float x) => (int)(Interop.FloatAsInt(x) & 0x7FFFFFFFu);

    /// <summary>A histogram from the slot layout (bins, NaN, ±Inf).</summary>
    internal static TensorHistogram FromSlots(string name, ReadOnlySpan<long> slots, float amax, float minAbs, int batches) =>
        new(name, amax, slots[..Bins], minAbs, slots[NaNSlot], slots[InfinitySlot], batches);
}
