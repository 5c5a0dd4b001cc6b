using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Kernels.Runtime;

namespace ILGPUInt8.Kernels.Convolution;

/// <summary>
/// Convolution weights on the device, prepared once: KRSC int8 rows (one output channel each, R·S·C/groups bytes)
/// padded with zeros to a stride of 16 bytes, the B operand of the implicit GEMM.
/// </summary>
public sealed class PackedConvWeights : IDisposable
{
    private readonly MemoryBuffer1D<sbyte, Stride1D.Dense> _buffer;

    /// <summary>Uploads dense KRSC weights [K][R][S][C/groups] for <paramref name="problem"/>.</summary>
    public PackedConvWeights(Int8Device device, ReadOnlySpan<sbyte> krsc, ConvProblem problem)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(problem);
        problem.Validate();
        int rowLength = problem.R * problem.S * problem.CPerGroup;
        if (krsc.Length != (long)problem.K * rowLength)
        {
            throw new ArgumentException($"Weights have {krsc.Length} values; [K={problem.K}][R={problem.R}][S={problem.S}][C/groups={problem.CPerGroup}] needs {(long)problem.K * rowLength}.", nameof(krsc));
        }

        RowLength = rowLength;
        Stride = (rowLength + 15) / 16 * 16;
        K = problem.K;
        var padded = new sbyte[(long)K * Stride];
        for (var k = 0; k < K; k++)
        {
            krsc.Slice(k * rowLength, rowLength).CopyTo(padded.AsSpan(k * Stride, rowLength));
        }

        _buffer = device.Accelerator.Allocate1D(padded);
    }

    /// <summary>Output channels (rows).</summary>
    public int K { get; }

    /// <summary>Bytes of one row: R·S·C/groups.</summary>
    public int RowLength { get; }

    /// <summary>Bytes between rows (RowLength rounded up to 16).</summary>
    public int Stride { get; }

    /// <summary>The rows as a device view.</summary>
    public ArrayView<sbyte> View => _buffer.View;

    /// <inheritdoc />
    public void Dispose() => _buffer.Dispose();
}
