using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Cli.Common;
using ILGPUInt8.Layers.Runtime;
using ExecutionContext = ILGPUInt8.Layers.Runtime.ExecutionContext;

namespace ILGPUInt8.Cli.Commands;

/// <summary>
/// <c>bench --input u8</c>: every run feeds seeded random uint8 NHWC images (4× fewer bytes than float NCHW) through
/// <see cref="ExecutionContext.ExecuteImages"/>, prepared as the model says (its preprocessing metadata, one mean/std or
/// one per channel), else as ImageNet (3 channels) or pixels / 255.
/// </summary>
/// <param name="Images">batch·H·W·C bytes.</param>
/// <param name="Preprocessing">How the engine's float input would be made from them.</param>
internal sealed record BenchImageInput(byte[] Images, Preprocessing Preprocessing)
{
    private static readonly Preprocessing ImageNet = new(1.0 / 255.0, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);

    /// <summary>The images of a single-input engine (an error names the reason when it has several inputs).</summary>
    public static BenchImageInput For(Engine engine, int batch, Preprocessing? model)
    {
        ArgumentNullException.ThrowIfNull(engine);
        if (engine.Inputs.Count != 1 || engine.Outputs.Count != 1)
        {
            throw new CliUsageException($"--input u8 needs an engine with one input and one output; this one has {engine.Inputs.Count} and {engine.Outputs.Count}.");
        }

        var dims = engine.Inputs[0].Dims;
        var images = new byte[dims.Volume * batch];
        new Random(1).NextBytes(images);
        var preprocessing = model is { } p && (p.Mean.Count == 1 || p.Mean.Count == dims.C) ? p : dims.C == 3 ? ImageNet : Preprocessing.UnitPixels;
        return new BenchImageInput(images, preprocessing);
    }

    /// <summary>One run: float inputs, or the images when given.</summary>
    public static void Execute(ExecutionContext context, Dictionary<string, float[]> inputs, int batch, BenchImageInput? images)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (images is null)
        {
            context.Execute(inputs, batch);
        }
        else
        {
            context.ExecuteImages(images.Images, batch, images.Preprocessing);
        }
    }
}
