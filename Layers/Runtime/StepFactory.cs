namespace ILGPUInt8.Layers;

/// <summary>The step that executes a plan node, by layer type.</summary>
internal static class StepFactory
{
    public static Step Create(Engine engine, PlanNode node) => node.Layer switch
    {
        ConvolutionLayer or FullyConnectedLayer => new ConvolutionStep(engine, node),
        DeconvolutionLayer => new DeconvolutionStep(engine, node),
        ActivationLayer => new ActivationStep(engine, node),
        PoolingLayer => new PoolingStep(engine, node),
        ScaleLayer => new ScaleStep(engine, node),
        ElementWiseLayer => new ElementWiseStep(engine, node),
        LrnLayer => new LrnStep(engine, node),
        SoftMaxLayer => new SoftMaxStep(engine, node),
        ConcatenationLayer => new ConcatStep(engine, node),
        ReshapeLayer => new ReshapeStep(engine, node),
        PaddingLayer => new PaddingStep(engine, node),
        ConvertLayer => new ConvertStep(engine, node),
        _ => throw new NetworkException(node.Name, $"layer type {node.Layer.Type} cannot be executed (it should have been lowered)."),
    };
}
