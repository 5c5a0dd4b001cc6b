using ILGPU;
using ILGPU.Runtime;
using ILGPUInt8.Calibration.Data;
using ILGPUInt8.Kernels.Quantization;

namespace ILGPUInt8.Layers.Runtime;

/// <summary>
/// uint8 NHWC image input (<see cref="SetInputImages"/>): 4× fewer bytes to copy than float NCHW. Where a folded stem reads
/// the input itself (<see cref="Step.FusedInput"/>), the bytes go to the device as they are and the stem maps them through a
/// per-channel table [C][256] built here: table[c·256 + v] = clamp(round_half_even(x · (1/s)), −127, 127) with
/// x = (v · Scale − Mean[c]) / Std[c] (<see cref="Preprocessing.Apply"/>, float) and 1/s rounded to float, i.e. the bits
/// of float normalization then the engine's quantize. Elsewhere (an FP32 input, the CPU backend, a stem that is not
/// folded) the images are normalized on the host into the float staging buffer, with the same formula.
/// </summary>
public sealed partial class ExecutionContext
{
    private MemoryBuffer1D<byte, Stride1D.Dense>? _imageBytes;
    private MemoryBuffer1D<sbyte, Stride1D.Dense>? _imageTable;
    private (Preprocessing Preprocessing, float Scale)? _tableKey;
    private bool _imageInput;

    /// <summary>
    /// Copies a batch of uint8 NHWC images [batch, H, W, C] into the single input of the engine, prepared as
    /// <paramref name="preprocessing"/> (one mean/std, or one per channel). Validated first: one input, length, batch.
    /// </summary>
    public void SetInputImages(ReadOnlySpan<byte> images, int batchSize, Preprocessing preprocessing)
    {
        ArgumentNullException.ThrowIfNull(preprocessing);
        CheckBatch(batchSize);
        if (Engine.Inputs.Count != 1)
        {
            throw new InvalidOperationException($"The engine has {Engine.Inputs.Count} inputs; image input needs exactly one.");
        }

        var plan = Engine.Plan;
        var t = plan.Tensors[plan.Inputs[0]];
        var d = t.Dims;
        long need = d.Volume * batchSize;
        if (images.Length != need)
        {
            throw new ArgumentException($"The images have {images.Length} bytes; batch {batchSize} of {d.H}x{d.W}x{d.C} (NHWC) needs {need}.", nameof(images));
        }

        if (preprocessing.Mean.Count != 1 && preprocessing.Mean.Count != d.C)
        {
            throw new ArgumentException($"The preprocessing has {preprocessing.Mean.Count} means; the input has {d.C} channels (give one or {d.C}).", nameof(preprocessing));
        }

        Bind();
        if (!TakesImages(0))
        {
            // Normalize on the host: x[n, c, h, w] = Apply(images[n, h, w, c], c).
            var x = new float[need];
            long plane = (long)d.H * d.W;
            for (long p = 0; p < batchSize * plane; p++)
            {
                long n = p / plane, hw = p - (n * plane);
                for (var c = 0; c < d.C; c++)
                {
                    x[((n * d.C) + c) * plane + hw] = preprocessing.Apply(images[(int)((p * d.C) + c)], c);
                }
            }

            SetInputs(new Dictionary<string, float[]> { [t.Name] = x }, batchSize);
            return;
        }

        using (Engine.Device.LaunchGate.Launching())
        {
            StageImageTable(preprocessing);
            _imageBytes!.View.SubView(0, need).CopyFromCPU(images.ToArray());
        }

        UseImageInput(true);
    }

    /// <summary>
    /// Prepares image input for streaming (<see cref="PipelinedRunner{TInput}"/> with uint8 images): the device byte buffer
    /// and the table for <paramref name="preprocessing"/>, image mode on; afterwards <see cref="ImageAddress"/> is where a
    /// batch's bytes go and <see cref="RunStaged"/> runs them. Null when it can; else why not (only an engine whose
    /// folded INT8 stem reads its single input itself takes bytes on the device: elsewhere images are normalized on the host).
    /// </summary>
    internal string? PrepareImageStaging(Preprocessing preprocessing)
    {
        ArgumentNullException.ThrowIfNull(preprocessing);
        Bind();
        var d = Engine.Plan.Tensors[Engine.Plan.Inputs[0]].Dims;
        if (Engine.Inputs.Count != 1 || !TakesImages(0) || Engine.HostIsa is not null)
        {
            return "uint8 images stream to the device only into an engine whose folded INT8 stem reads its single input itself (not an FP32 input, the CPU backend or an unfolded stem)";
        }

        if (preprocessing.Mean.Count != 1 && preprocessing.Mean.Count != d.C)
        {
            return $"the preprocessing has {preprocessing.Mean.Count} means; the input has {d.C} channels";
        }

        using (Engine.Device.LaunchGate.Launching())
        {
            StageImageTable(preprocessing);
        }

        UseImageInput(true);
        return null;
    }

    /// <summary>Address of the device bytes uint8 images go to (after <see cref="PrepareImageStaging"/>).</summary>
    internal IntPtr ImageAddress => _imageBytes?.NativePtr ?? throw new InvalidOperationException("No image staging: call PrepareImageStaging first.");

    // The image byte buffer (at the maximum batch) and the table of preprocessing, both on the device.
    private void StageImageTable(Preprocessing preprocessing)
    {
        var accelerator = Engine.Device.Accelerator;
        var t = Engine.Plan.Tensors[Engine.Plan.Inputs[0]];
        var d = t.Dims;
        _imageBytes ??= EngineResources.Allocating("a context's image input", d.Volume * Engine.MaxBatchSize, () => accelerator.Allocate1D<byte>(d.Volume * Engine.MaxBatchSize));
        if (_tableKey is not { } key || !key.Preprocessing.Matches(preprocessing) || key.Scale != t.Scale)
        {
            _imageTable ??= accelerator.Allocate1D<sbyte>(256L * d.C);
            _imageTable.View.CopyFromCPU(ImageTable(preprocessing, t.Scale, d.C));
            _tableKey = (preprocessing, t.Scale);
        }
    }

    /// <summary>Runs a batch of uint8 NHWC images through a single-input, single-output engine.</summary>
    public float[] ExecuteImages(ReadOnlySpan<byte> images, int batchSize, Preprocessing preprocessing)
    {
        if (Engine.Outputs.Count != 1)
        {
            throw new InvalidOperationException($"The engine has {Engine.Outputs.Count} outputs; use SetInputImages, Enqueue and ReadOutputs.");
        }

        SetInputImages(images, batchSize, preprocessing);
        Enqueue(batchSize);
        return ReadOutputs(batchSize)[Engine.Outputs[0].Name];
    }

    /// <summary>Runs a batch of uint8 NHWC images and times every step (as <see cref="Profile"/>).</summary>
    public EngineProfile ProfileImages(ReadOnlySpan<byte> images, int batchSize, Preprocessing preprocessing)
    {
        SetInputImages(images, batchSize, preprocessing);
        return ProfileSetInputs(batchSize);
    }

    /// <summary>
    /// The table [C][256]: table[c·256 + v] = clamp(round_half_even(((v · Scale − Mean[c]) / Std[c]) · (1/s)), −127, 127),
    /// the normalization in <see cref="Preprocessing.Apply"/>'s arithmetic, the quantize <see cref="QuantMath.QuantizeWithInverse"/>.
    /// </summary>
    internal static sbyte[] ImageTable(Preprocessing preprocessing, float scale, int channels)
    {
        ArgumentNullException.ThrowIfNull(preprocessing);
        var inverse = QuantMath.Inverse(scale);
        var table = new sbyte[256 * channels];
        for (var c = 0; c < channels; c++)
        {
            for (var v = 0; v < 256; v++)
            {
                table[(c * 256) + v] = (sbyte)QuantMath.QuantizeWithInverse(preprocessing.Apply(v, c), inverse);
            }
        }

        return table;
    }

    /// <summary>The device images and table of input <paramref name="i"/> when the last inputs were images, else null.</summary>
    internal (ArrayView<byte> Bytes, ArrayView<sbyte> Table)? ImageInput(int i, int batchSize)
    {
        if (!_imageInput || i != 0 || _imageBytes is null || _imageTable is null)
        {
            return null;
        }

        var t = Engine.Plan.Tensors[Engine.Plan.Inputs[i]];
        return (_imageBytes.View.SubView(0, t.Dims.Volume * batchSize), _imageTable.View);
    }

    /// <summary>The float NCHW staging buffer of input <paramref name="i"/> for a batch.</summary>
    internal ArrayView<float> InputStaging(int i, int batchSize) =>
        _inputs[i].View.SubView(0, Engine.Plan.Tensors[Engine.Plan.Inputs[i]].Dims.Volume * batchSize);

    /// <summary>Whether the step that reads input <paramref name="i"/> itself also takes its uint8 images on the device.</summary>
    private bool TakesImages(int i) => Engine.Steps.Any(s => s.FusedInput == i && s.FusedInputTakesImages);

    /// <summary>Whether a step reads input <paramref name="i"/> itself (its convert is fused).</summary>
    private bool IsFused(int i)
    {
        var steps = Engine.Steps;
        for (var s = 0; s < steps.Count; s++)
        {
            if (steps[s].FusedInput == i)
            {
                return true;
            }
        }

        return false;
    }

    // A switch between float and image input changes the launches: captured graphs no longer apply.
    private void UseImageInput(bool images)
    {
        if (images != _imageInput)
        {
            DropGraphs();
            _imageInput = images;
        }
    }
}
