using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Kernels.Tensors;

namespace ILGPUInt8.Kernels.Ops;

/// <summary>
/// Constant spatial padding of NHWC data: y[n, h, w, c] = x[n, h − top, w − left, c] inside, else <c>value</c>;
/// output [N, H + top + bottom, W + left + right, C].
/// </summary>
public static class Padding
{
    /// <summary>Launches (asynchronous).</summary>
    public static void Run<T>(Int8Device device, ArrayView<T> x, ArrayView<T> y, TensorShape input, int top, int bottom, int left, int right, T value)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(device);
        input.Validate(nameof(input));
        if (top < 0 || bottom < 0 || left < 0 || right < 0)
        {
            throw new ArgumentException($"Padding ({top}, {bottom}, {left}, {right}) must be ≥ 0.", nameof(top));
        }

        var output = new TensorShape(input.N, input.C, input.H + top + bottom, input.W + left + right);
        OpArgs.AtLeast(x.Length, input.Elements, nameof(x));
        OpArgs.AtLeast(y.Length, output.Elements, nameof(y));
        var kernel = device.GetKernel("pad." + typeof(T).Name, a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<T>, PadArgs, T>(Kernel));
        kernel((int)output.Elements, x, y, new PadArgs(input.C, input.H, input.W, output.H, output.W, top, left), value);
    }

    /// <summary>Thread i enumerates the output in NHWC order.</summary>
    internal static void Kernel<T>(Index1D i, ArrayView<T> x, ArrayView<T> y, PadArgs a, T value)
        where T : unmanaged
    {
        int c = i % a.C;
        int pixel = i / a.C;
        int w = (pixel % a.OutW) - a.Left;
        int h = ((pixel / a.OutW) % a.OutH) - a.Top;
        int n = pixel / (a.OutW * a.OutH);
        y[i] = h >= 0 && h < a.H && w >= 0 && w < a.W ? x[((((long)n * a.H) + h) * a.W + w) * a.C + c] : value;
    }

    /// <summary>Kernel arguments.</summary>
    internal readonly record struct PadArgs(int C, int H, int W, int OutH, int OutW, int Top, int Left);
}
