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

/// <summary>
/// y = x·min(max(x/6 + 1/2, 0), 1) (ONNX HardSwish: alpha = 1/6, beta = 0.5; x·ReLU6(x + 3)/6 in MobileNetV3), in float:
/// the gate is computed as ONNX Runtime does, alpha·x + beta clamped to [0, 1], then multiplied by x.
/// </summary>
public readonly struct HardSwishActivation : IActivation
{
    /// <summary>The host evaluation (the same float operations as the kernels).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Evaluate(float x)
    {
        float gate = (x * (1f / 6f)) + 0.5f;
        gate = gate < 0f ? 0f : gate > 1f ? 1f : gate;
        return x * gate;
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Apply(float x) => Evaluate(x);
}

/// <summary>y = x / (1 + exp(−x)) (SiLU, Swish with beta = 1).</summary>
public readonly struct SiluActivation : IActivation
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Apply(float x) => x / (1f + XMath.Exp(-x));
}
