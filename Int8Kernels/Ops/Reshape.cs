using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Kernels.Tensors;

namespace ILGPUInt8.Kernels.Ops;

/// <summary>
/// Reshape of NHWC data with NCHW (C-order) semantics, as Flatten/Reshape of PyTorch and ONNX: within each batch item the
/// element with NCHW index f = (c·H + h)·W + w keeps its index. Output element (n, c₂, h₂, w₂) reads input
/// (n, f / (H₁W₁), (f / W₁) mod H₁, f mod W₁) with f = (c₂·H₂ + h₂)·W₂ + w₂. A copy; when both shapes have H = W = 1
/// (or the same H, W, C) the data is unchanged and callers use a view instead.
/// </summary>
public static class Reshape
{
    /// <summary>True when the NHWC bytes of <paramref name="from"/> already are those of <paramref name="to"/>.</summary>
    public static bool IsView(TensorShape from, TensorShape to) =>
        from == to || (from.H == 1 && from.W == 1 && to.H == 1 && to.W == 1) || (from.C == 1 && to.C == 1 && from.N == to.N);

    /// <summary>Copies x (NHWC <paramref name="from"/>) into y (NHWC <paramref name="to"/>); same N and element count.</summary>
    public static void Run<T>(Int8Device device, ArrayView<T> x, ArrayView<T> y, TensorShape from, TensorShape to)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(device);
        from.Validate(nameof(from));
        to.Validate(nameof(to));
        if (from.N != to.N || from.Elements != to.Elements)
        {
            throw new ArgumentException($"Cannot reshape {from} to {to}: the batch and the element count must agree.", nameof(to));
        }

        OpArgs.AtLeast(x.Length, from.Elements, nameof(x));
        OpArgs.AtLeast(y.Length, to.Elements, nameof(y));
        var kernel = device.GetKernel("reshape." + typeof(T).Name, a =>
            a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<T>, ReshapeArgs>(Kernel));
        kernel((int)to.Elements, x, y, new ReshapeArgs(from.C, from.H, from.W, to.C, to.H, to.W));
    }

    /// <summary>Thread i enumerates the output in NHWC order.</summary>
    internal static void Kernel<T>(Index1D i, ArrayView<T> x, ArrayView<T> y, ReshapeArgs a)
        where T : unmanaged
    {
        int c2 = i % a.C2;
        int pixel = i / a.C2;
        int w2 = pixel % a.W2;
        int h2 = (pixel / a.W2) % a.H2;
        int n = pixel / (a.W2 * a.H2);
        int f = (((c2 * a.H2) + h2) * a.W2) + w2;
        int c1 = f / (a.H1 * a.W1);
        int h1 = (f / a.W1) % a.H1;
        int w1 = f % a.W1;
        y[i] = x[((((long)n * a.H1) + h1) * a.W1 + w1) * a.C1 + c1];
    }

    /// <summary>Kernel arguments.</summary>
    internal readonly record struct ReshapeArgs(int C1, int H1, int W1, int C2, int H2, int W2);
}
