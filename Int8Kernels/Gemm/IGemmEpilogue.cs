namespace ILGPUInt8.Kernels.Gemm;

/// <summary>
/// What a GEMM or convolution kernel does with each finished int32 accumulator of output (row, col):
/// store it, requantize it to int8, or dequantize it to float. Passed as a struct type parameter so each
/// kernel instantiation is specialised (no virtual calls, no switch). Implementations hold their device
/// views and parameters as fields and must be usable both in kernels and on the host (references).
/// </summary>
public interface IGemmEpilogue
{
    /// <summary>Finishes output element (row, col) from its accumulator.</summary>
    void Apply(int row, int col, int acc);

    /// <summary>
    /// Finishes the four consecutive outputs (row, col..col+3); the caller guarantees col % 4 == 0 and
    /// col + 3 &lt; N, so an implementation may store them with one wider access.
    /// </summary>
    void Apply4(int row, int col, int acc0, int acc1, int acc2, int acc3);
}
