namespace ILGPUInt8.Layers;

/// <summary>FP32 hard sigmoid on the CPU backend: y[i] = max(0, min(1, alpha·x[i] + beta)), in ranges over the threads.</summary>
internal sealed unsafe class HostHardSigmoidStep(Engine engine, PlanNode node) : HostStep(engine, node)
{
    public override void Run(ExecutionContext context, int batch)
    {
        var layer = (HardSigmoidLayer)Node.Layer;
        float alpha = layer.Alpha, beta = layer.Beta;
        nint xf = (nint)context.Pointer<float>(Input(), batch), yf = (nint)context.Pointer<float>(Output, batch);
        ForRanges(batch * Input().Dims.Volume, 4096, (i0, i1) =>
        {
            float* x = (float*)xf, y = (float*)yf;
            for (long i = i0; i < i1; i++)
            {
                y[i] = HardSigmoidLayer.Apply(x[i], alpha, beta);
            }
        });
    }
}
