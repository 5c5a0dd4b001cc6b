using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Ops;

/// <summary>The binary element-wise operations.</summary>
public enum ElementWiseOperation
{
    /// <summary>a + b.</summary>
    Sum,

    /// <summary>a · b.</summary>
    Product,

    /// <summary>max(a, b).</summary>
    Max,
}

/// <summary>
/// Element-wise binary operations, any layout (both operands in the same one), with an activation fused
/// (ReLU for residual blocks). b may be shorter than a and repeat: b index = i mod len(b) (a constant broadcast over
/// the batch). Float: y = f(a op b). Int8: see <see cref="Int8ElementWise"/> for the integer formulas.
/// </summary>
public static partial class ElementWise
{
    /// <summary>y = f(a op b) over floats (asynchronous).</summary>
    public static void Float(Int8Device device, ArrayView<float> a, ArrayView<float> b, ArrayView<float> y, ElementWiseOperation operation, ActivationSpec activation)
    {
        if (Checked(device, a.Length, b.Length, y.Length, activation))
        {
            var launch = new FloatLaunch(device, a, b, y, activation);
            ForOperation(operation, ref launch);
        }
    }

    // The arguments checked (y as long as a, a a whole multiple of b); false when there is nothing to compute.
    private static bool Checked(Int8Device device, long a, long b, long y, ActivationSpec activation)
    {
        ArgumentNullException.ThrowIfNull(device);
        OpArgs.SameLength(a, y, nameof(y));
        activation.Validate(nameof(activation));
        if (b == 0 || a % b != 0)
        {
            throw new ArgumentException($"b has {b} elements; a's {a} must be a whole multiple of it.", nameof(b));
        }

        return a != 0;
    }

    // Hands the operation's struct to the visitor.
    private static void ForOperation<TVisitor>(ElementWiseOperation operation, ref TVisitor visitor)
        where TVisitor : struct, IOperationVisitor
    {
        switch (operation)
        {
            case ElementWiseOperation.Sum:
                visitor.Visit<SumFloat>();
                break;
            case ElementWiseOperation.Product:
                visitor.Visit<ProductFloat>();
                break;
            case ElementWiseOperation.Max:
                visitor.Visit<MaxFloat2>();
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(operation), operation, "Unknown element-wise operation.");
        }
    }

    /// <summary>Thread i: y[i] = f(a[i] op b[i mod len(b)]).</summary>
    internal static void FloatKernel<TOp, TAct>(Index1D i, ArrayView<float> a, ArrayView<float> b, ArrayView<float> y, int bLength, TAct act)
        where TOp : struct, IFloatBinary
        where TAct : struct, IActivation =>
        y[i] = act.Apply(default(TOp).Apply(a[i], b[i % bLength]));

    /// <summary>Receives the struct of an operation.</summary>
    private interface IOperationVisitor
    {
        void Visit<TOp>()
            where TOp : struct, IFloatBinary;
    }

    private readonly struct FloatLaunch(Int8Device device, ArrayView<float> a, ArrayView<float> b, ArrayView<float> y, ActivationSpec activation) : IOperationVisitor
    {
        public void Visit<TOp>()
            where TOp : struct, IFloatBinary
        {
            var launcher = new Launcher<TOp>(device, a, b, y);
            activation.Accept(ref launcher);
        }
    }

    private readonly struct Launcher<TOp>(Int8Device device, ArrayView<float> a, ArrayView<float> b, ArrayView<float> y) : IActivationVisitor
        where TOp : struct, IFloatBinary
    {
        public void Visit<TAct>(TAct activation)
            where TAct : struct, IActivation
        {
            var kernel = device.GetKernel($"eltwise.f32.{typeof(TOp).Name}.{typeof(TAct).Name}", acc =>
                acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, TAct>(FloatKernel<TOp, TAct>));
            kernel((int)a.Length, a, b, y, (int)b.Length, activation);
        }
    }
}

/// <summary>A float binary operation (struct type parameter).</summary>
internal interface IFloatBinary
{
    /// <summary>a op b.</summary>
    float Apply(float a, float b);
}

/// <summary>a + b.</summary>
internal readonly struct SumFloat : IFloatBinary
{
    /// <inheritdoc />
    public float Apply(float a, float b) => a + b;
}

/// <summary>a · b.</summary>
internal readonly struct ProductFloat : IFloatBinary
{
    /// <inheritdoc />
    public float Apply(float a, float b) => a * b;
}

/// <summary>max(a, b).</summary>
internal readonly struct MaxFloat2 : IFloatBinary
{
    /// <inheritdoc />
    public float Apply(float a, float b) => a > b ? a : b;
}
