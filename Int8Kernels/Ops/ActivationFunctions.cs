using System.Runtime.CompilerServices;
using ILGPU.Algorithms;

namespace ILGPUInt8.Kernels.Ops;

/// <summary>
/// A float activation y = f(x) as a struct type parameter of kernels (each instantiation is specialised).
/// Parameters (alpha, clip bounds) are fields of the struct, passed by value to the kernel.
/// </summary>
public interface IActivation
{
    /// <summary>y = f(x).</summary>
    float Apply(float x);
}

/// <summary>y = x.</summary>
public readonly struct IdentityActivation : IActivation
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Apply(float x) => x;
}

/// <summary>y = max(x, 0) (NaN stays NaN).</summary>
public readonly struct ReluActivation : IActivation
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Apply(float x) => x < 0f ? 0f : x;
}

/// <summary>y = x ≥ 0 ? x : alpha·x.</summary>
/// <param name="Alpha">Slope for negative inputs.</param>
public readonly record struct LeakyReluActivation(float Alpha) : IActivation
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Apply(float x) => x < 0f ? x * Alpha : x;
}

/// <summary>y = min(max(x, lo), hi) (ReLU6 is lo = 0, hi = 6).</summary>
/// <param name="Lo">Lower bound.</param>
/// <param name="Hi">Upper bound.</param>
public readonly record struct ClipActivation(float Lo, float Hi) : IActivation
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Apply(float x) => x < Lo ? Lo : x > Hi ? Hi : x;
}

/// <summary>y = tanh(x).</summary>
public readonly struct TanhActivation : IActivation
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Apply(float x) => XMath.Tanh(x);
}

/// <summary>y = 1 / (1 + exp(−x)).</summary>
public readonly struct SigmoidActivation : IActivation
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Apply(float x) => 1f / (1f + XMath.Exp(-x));
}
