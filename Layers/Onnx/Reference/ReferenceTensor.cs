namespace ILGPUInt8.Layers.Onnx.Reference;

/// <summary>A dense float tensor in C order for the scalar reference interpreter.</summary>
/// <param name="Shape">Dimensions.</param>
/// <param name="Data">Values, C order; the length is the product of <paramref name="Shape"/>.</param>
internal sealed record ReferenceTensor(long[] Shape, float[] Data)
{
    /// <summary>An ONNX constant as a reference tensor (integers converted to float).</summary>
    public static ReferenceTensor From(OnnxTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return new([.. tensor.Dims], tensor.ToFloatArray());
    }

    /// <summary>A zero tensor of a shape.</summary>
    public static ReferenceTensor Zeros(long[] shape) => new(shape, new float[OnnxShapes.Product(shape)]);

    /// <summary>Element count.</summary>
    public long Count => Data.LongLength;

    /// <summary>The (n, c, h, w) view of an NCHW (rank 4) or NCL (rank 3, h = 1) tensor.</summary>
    internal (int N, int C, int H, int W) Nchw => Shape.Length switch
    {
        4 => ((int)Shape[0], (int)Shape[1], (int)Shape[2], (int)Shape[3]),
        3 => ((int)Shape[0], (int)Shape[1], 1, (int)Shape[2]),
        _ => throw new InvalidOperationException($"An NCHW or NCL tensor was expected, got rank {Shape.Length}."),
    };
}
