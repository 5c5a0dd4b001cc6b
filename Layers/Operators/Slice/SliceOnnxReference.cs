namespace ILGPUInt8.Layers.Onnx.Reference;

/// <summary>The ONNX Slice / Split output along one dimension, element by element: y[…, j, …] = x[…, Start + j·Step, …].</summary>
internal sealed class SliceOnnxReference : OnnxEvaluator<SliceSpec>
{
    /// <inheritdoc />
    protected override ReferenceTensor Evaluate(SliceSpec spec, IReadOnlyList<ReferenceTensor> x, long[] shape)
    {
        var s = x[0].Shape;
        long outer = 1, inner = 1;
        for (int d = 0; d < spec.Axis; d++)
        {
            outer *= s[d];
        }

        for (int d = spec.Axis + 1; d < s.Length; d++)
        {
            inner *= s[d];
        }

        var y = new float[outer * spec.Length * inner];
        for (long o = 0; o < outer; o++)
        {
            for (long j = 0; j < spec.Length; j++)
            {
                for (long i = 0; i < inner; i++)
                {
                    y[(((o * spec.Length) + j) * inner) + i] = x[0].Data[(((o * s[spec.Axis]) + spec.Start + (j * spec.Step)) * inner) + i];
                }
            }
        }

        return new ReferenceTensor(shape, y);
    }
}
