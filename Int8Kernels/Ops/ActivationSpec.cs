namespace ILGPUInt8.Kernels.Ops;

/// <summary>The activation functions the kernels know.</summary>
public enum ActivationKind
{
    /// <summary>y = x (no activation).</summary>
    None,

    /// <summary>y = max(x, 0).</summary>
    Relu,

    /// <summary>y = x ≥ 0 ? x : alpha·x.</summary>
    LeakyRelu,

    /// <summary>y = clamp(x, alpha, beta) (ReLU6: alpha = 0, beta = 6).</summary>
    Clip,

    /// <summary>y = tanh(x).</summary>
    Tanh,

    /// <summary>y = 1 / (1 + exp(−x)).</summary>
    Sigmoid,

    /// <summary>y = x·min(max(x/6 + 1/2, 0), 1) (ONNX HardSwish; MobileNetV3).</summary>
    HardSwish,

    /// <summary>y = x / (1 + exp(−x)) (SiLU / Swish; EfficientNet).</summary>
    Silu,
}

/// <summary>Receives an activation as its struct type (how host code picks a kernel instantiation).</summary>
public interface IActivationVisitor
{
    /// <summary>Called with the struct that implements the activation.</summary>
    void Visit<TAct>(TAct activation)
        where TAct : struct, IActivation;
}

/// <summary>
/// An activation with its parameters: alpha is the leaky slope or the clip minimum, beta the clip maximum.
/// <see cref="Apply"/> is the host (reference) evaluation; <see cref="Accept"/> hands the kernel struct to a visitor.
/// </summary>
/// <param name="Kind">Which function.</param>
/// <param name="Alpha">Leaky ReLU slope or clip minimum.</param>
/// <param name="Beta">Clip maximum.</param>
public readonly record struct ActivationSpec(ActivationKind Kind, float Alpha = 0f, float Beta = 0f)
{
    /// <summary>No activation.</summary>
    public static ActivationSpec None => new(ActivationKind.None);

    /// <summary>ReLU.</summary>
    public static ActivationSpec Relu => new(ActivationKind.Relu);

    /// <summary>True for <see cref="ActivationKind.None"/>.</summary>
    public bool IsNone => Kind == ActivationKind.None;

    /// <summary>Host evaluation, the reference of the float kernels (tanh and sigmoid in double, rounded once).</summary>
    public float Apply(float x) => Kind switch
    {
        ActivationKind.None => x,
        ActivationKind.Relu => x < 0f ? 0f : x,
        ActivationKind.LeakyRelu => x < 0f ? x * Alpha : x,
        ActivationKind.Clip => x < Alpha ? Alpha : x > Beta ? Beta : x,
        ActivationKind.Tanh => (float)Math.Tanh(x),
        ActivationKind.Sigmoid => (float)(1.0 / (1.0 + Math.Exp(-(double)x))),
        ActivationKind.HardSwish => HardSwishActivation.Evaluate(x),
        ActivationKind.Silu => (float)(x / (1.0 + Math.Exp(-(double)x))),
        _ => throw new ArgumentOutOfRangeException(nameof(Kind), Kind, "Unknown activation."),
    };

    /// <summary>Throws an ArgumentException when the parameters make no sense (clip with min &gt; max, NaN).</summary>
    public void Validate(string argumentName)
    {
        if (!Enum.IsDefined(Kind))
        {
            throw new ArgumentException($"Unknown activation kind {(int)Kind}.", argumentName);
        }

        if (float.IsNaN(Alpha) || float.IsNaN(Beta))
        {
            throw new ArgumentException($"Activation {Kind} has a NaN parameter.", argumentName);
        }

        if (Kind == ActivationKind.Clip && Alpha > Beta)
        {
            throw new ArgumentException($"Clip minimum {Alpha} is greater than its maximum {Beta}.", argumentName);
        }
    }

    /// <summary>Calls <paramref name="visitor"/> with the kernel struct of this activation.</summary>
    public void Accept<TVisitor>(ref TVisitor visitor)
        where TVisitor : IActivationVisitor
    {
        switch (Kind)
        {
            case ActivationKind.None:
                visitor.Visit(default(IdentityActivation));
                break;
            case ActivationKind.Relu:
                visitor.Visit(default(ReluActivation));
                break;
            case ActivationKind.LeakyRelu:
                visitor.Visit(new LeakyReluActivation(Alpha));
                break;
            case ActivationKind.Clip:
                visitor.Visit(new ClipActivation(Alpha, Beta));
                break;
            case ActivationKind.Tanh:
                visitor.Visit(default(TanhActivation));
                break;
            case ActivationKind.Sigmoid:
                visitor.Visit(default(SigmoidActivation));
                break;
            case ActivationKind.HardSwish:
                visitor.Visit(default(HardSwishActivation));
                break;
            case ActivationKind.Silu:
                visitor.Visit(default(SiluActivation));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(Kind), Kind, "Unknown activation.");
        }
    }

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        ActivationKind.LeakyRelu => $"LeakyRelu({Alpha})",
        ActivationKind.Clip => $"Clip({Alpha}, {Beta})",
        _ => Kind.ToString(),
    };
}
