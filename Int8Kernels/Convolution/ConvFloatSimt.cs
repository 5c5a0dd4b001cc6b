using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Gemm;
using ILGPUInt8.Kernels.Ops;
using ILGPUInt8.Kernels.Quantization;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Convolution;

/// <summary>
/// Strict FP32 implicit-GEMM convolution on the CUDA cores, register-blocked: the dp4a convolution's kernel
/// (<see cref="ConvDp4aImplicitGemm"/>: 128×128, 128×64 or 64×64 block tiles, 8×8 outputs a thread, double-buffered
/// shared tiles, 16-byte chunk gathers) run on the bytes of NHWC floats, a k-word being one float:
/// y[n, p, q, k] = f(bias[k] + Σ_{r,s,c} x[n, p·sh − ph + r·dh, q·sw − pw + s·dw, c] · w[k][r][s][c]), each output summing
/// j = (r·S + s)·C + c in increasing order from its bias, as <see cref="ConvolutionFloat"/>'s kernels do. Needs groups = 1
/// and weight rows (KRSC, R·S·C floats, zero-padded to <see cref="WeightStride"/>) of a multiple of 4 floats starting on
/// 16 bytes. With C a multiple of 4 and x on 16 bytes a 16-byte chunk is 4 channels of one pixel (one load); otherwise
/// (the RGB stem) the 4 floats of a chunk are gathered one by one (each may belong to another pixel or tap). The tile is
/// the dp4a planner's (<see cref="Dp4aPlanner"/>, without split-K).
/// </summary>
internal static class ConvFloatSimt
{
    /// <summary>The tiles the kernels are generated for (bytes of K a step: 32 = 8 floats).</summary>
    internal static readonly IReadOnlyList<Dp4aTile> Tiles = [Dp4aTile.T128x128x32, Dp4aTile.T128x64x32, Dp4aTile.T64x64x32];

    /// <summary>Floats between weight rows: R·S·C rounded up to a multiple of 4 (16-byte rows).</summary>
    internal static int WeightStride(ConvProblem problem) => (problem.R * problem.S * problem.C + 3) / 4 * 4;

    /// <summary>
    /// Null when the kernel runs the problem on these views (weights in rows of <paramref name="weightStride"/> floats), else
    /// why not.
    /// </summary>
    internal static string? CanImplement(ConvProblem problem, ArrayView<float> x, ArrayView<float> weights, int weightStride)
    {
        if (problem.Groups != 1)
        {
            return $"groups = {problem.Groups} (ungrouped only)";
        }

        if (weightStride % 4 != 0 || weightStride < problem.R * problem.S * problem.C)
        {
            return $"weight rows of {weightStride} floats: R·S·C ({problem.R * problem.S * problem.C}) padded to a multiple of 4 is needed";
        }

        return QuantArgs.Aligned16(weights) && weights.Length >= (long)problem.K * weightStride ? null : "the weights must start on 16 bytes and hold K padded rows";
    }

    /// <summary>The tile the launch uses for a problem on a device.</summary>
    internal static Dp4aTile Tile(Int8Device device, ConvProblem problem) =>
        Dp4aPlanner.Choose(problem.N * problem.P * problem.Q, problem.K, 4 * problem.R * problem.S * problem.C, 1, device.Accelerator.NumMultiprocessors, Tiles, allowSplit: false).Tile;

    /// <summary>
    /// Launches (asynchronous) a problem <see cref="CanImplement"/> accepted (weights in rows of
    /// <paramref name="weightStride"/> floats); <paramref name="tile"/> null: <see cref="Tile"/>.
    /// </summary>
    internal static void Run<TAct>(Int8Device device, ArrayView<float> x, ArrayView<float> weights, int weightStride, ArrayView<float> bias, ArrayView<float> y, ConvProblem problem, TAct act, Dp4aTile? tile = null)
        where TAct : struct, IActivation
    {
        if (problem.C % 4 == 0 && QuantArgs.Aligned16(x))
        {
            Launch(device, x, weights, weightStride, bias, y, problem, default(NhwcChunkLoader), act, tile);
        }
        else
        {
            Launch(device, x, weights, weightStride, bias, y, problem, default(NhwcWordLoader), act, tile);
        }
    }

    private static void Launch<TLoader, TAct>(Int8Device device, ArrayView<float> x, ArrayView<float> weights, int weightStride, ArrayView<float> bias, ArrayView<float> y, ConvProblem problem, TLoader loader, TAct act, Dp4aTile? tile)
        where TLoader : struct, IConvTileLoader
        where TAct : struct, IActivation
    {
        var t = tile ?? Tile(device, problem);
        var g = ConvGeometry.From(problem with { C = 4 * problem.C });
        var kernel = device.GetKernel($"conv.f32.simt.{t.Name}.{typeof(TLoader).Name}.{typeof(TAct).Name}", a =>
            a.LoadStreamKernel(KernelFor<TLoader, TAct>(t), GemmDp4aTiled.LaunchBounds(t)));
        var grid = new Index3D((g.K + t.BlockN - 1) / t.BlockN, (g.GemmM + t.BlockM - 1) / t.BlockM, 1);
        kernel(
            new KernelConfig(grid, new Index3D(t.Threads, 1, 1)),
            x.Cast<int>(),
            weights.SubView(0, weights.Length / 4 * 4).Cast<Int4>(),
            bias,
            y,
            new ConvDp4aImplicitGemm.Args(g, weightStride / 4, 1, (g.GemmK + 31) / 32),
            loader,
            act);
    }

    private static Action<ArrayView<int>, ArrayView<Int4>, ArrayView<float>, ArrayView<float>, ConvDp4aImplicitGemm.Args, TLoader, TAct> KernelFor<TLoader, TAct>(Dp4aTile tile)
        where TLoader : struct, IConvTileLoader
        where TAct : struct, IActivation =>
        tile == Dp4aTile.T128x128x32 ? ConvFloatSimtKernels.Kernel128x128x8
        : tile == Dp4aTile.T128x64x32 ? ConvFloatSimtKernels.Kernel128x64x8
        : tile == Dp4aTile.T64x64x32 ? ConvFloatSimtKernels.Kernel64x64x8
        : throw new ArgumentException($"No generated FP32 kernel for tile {tile}.", nameof(tile));
}

/// <summary>Stores of a <see cref="FloatThreadTile"/>.</summary>
internal static class FloatTileStore
{
    /// <summary>y[row·n + col + i] = v_i for the outputs inside m × n.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static void Four(ArrayView<float> y, int m, int n, int row, int col, float v0, float v1, float v2, float v3)
    {
        if (row >= m)
        {
            return;
        }

        long o = ((long)row * n) + col;
        if (col < n)
        {
            y[o] = v0;
        }

        if (col + 1 < n)
        {
            y[o + 1] = v1;
        }

        if (col + 2 < n)
        {
            y[o + 2] = v2;
        }

        if (col + 3 < n)
        {
            y[o + 3] = v3;
        }
    }
}
