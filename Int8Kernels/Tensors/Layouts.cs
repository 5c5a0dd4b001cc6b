using System.Runtime.CompilerServices;

namespace ILGPUInt8.Kernels.Tensors;

/// <summary>
/// A memory format as a struct type parameter for kernels: the element offset of logical (n, c, h, w)
/// in a tensor of logical shape (N, C, H, W). Kernels specialise on it, with no switch at run time.
/// </summary>
public interface ILayout
{
    /// <summary>Element offset of (n, c, h, w).</summary>
    long Offset(int n, int c, int h, int w, int channels, int height, int width);
}

/// <summary>[N][C][H][W].</summary>
public readonly struct NchwLayout : ILayout
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Offset(int n, int c, int h, int w, int channels, int height, int width) =>
        ((((long)n * channels) + c) * height + h) * width + w;
}

/// <summary>[N][H][W][C].</summary>
public readonly struct NhwcLayout : ILayout
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Offset(int n, int c, int h, int w, int channels, int height, int width) =>
        ((((long)n * height) + h) * width + w) * channels + c;
}

/// <summary>[N][ceil(C/4)][H][W][4] (cuDNN INT8x4).</summary>
public readonly struct NchwVectCLayout : ILayout
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Offset(int n, int c, int h, int w, int channels, int height, int width) =>
        (((((long)n * ((channels + 3) >> 2)) + (c >> 2)) * height + h) * width + w) * 4 + (c & 3);
}
