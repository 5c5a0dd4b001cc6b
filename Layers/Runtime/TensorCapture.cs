using ILGPU.Runtime;
using ILGPUInt8.Kernels.Arch;
using ILGPUInt8.Kernels.Tensors;

namespace ILGPUInt8.Layers.Runtime;

/// <summary>One activation tensor of a run, as NCHW float: an INT8 tensor dequantized (x = q · s).</summary>
/// <param name="Name">Tensor name (the network's).</param>
/// <param name="Int8">Stored as int8 in the engine.</param>
/// <param name="Scale">Its scale T/127 when INT8, else 0.</param>
/// <param name="Shape">NCHW shape of the batch.</param>
/// <param name="Values">Values in NCHW order.</param>
public sealed record CapturedTensor(string Name, bool Int8, float Scale, TensorShape Shape, float[] Values);

/// <summary>
/// Reads every activation an engine computes (for per-layer error reports: the same tensor of an FP32 and an INT8 engine,
/// compared by name). Slow by design: each tensor is copied to the host when its step finishes.
/// </summary>
public static class TensorCapture
{
    /// <summary>Runs one batch and returns every non-constant tensor written by the input conversions and the steps, in order.</summary>
    public static IReadOnlyList<CapturedTensor> RunAndCapture(this ExecutionContext context, IReadOnlyDictionary<string, float[]> inputs, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(context);

        // Every tensor written by its own step (no convolution writing its pool's output instead of its own).
        context.Unfused = true;
        try
        {
            return Capture(context, inputs, batchSize);
        }
        finally
        {
            context.Unfused = false;
        }
    }

    private static List<CapturedTensor> Capture(ExecutionContext context, IReadOnlyDictionary<string, float[]> inputs, int batchSize)
    {
        context.SetInputs(inputs, batchSize);
        var device = context.Engine.Device;
        var captured = new List<CapturedTensor>();
        foreach (var (tensor, _, _, _, _) in context.RunLazily(batchSize))
        {
            if (tensor is null || tensor.Constant is not null)
            {
                continue;
            }

            device.Synchronize();
            var shape = tensor.Dims.WithBatch(batchSize);
            var nhwc = new float[shape.Elements];
            float scale = 0f;
            if (tensor.Type == DataType.Int8)
            {
                // x = q · s, s = T / 127
                scale = tensor.Scale;
                var q = new sbyte[nhwc.Length];
                context.View<sbyte>(tensor, batchSize).CopyToCPU(q);
                for (var i = 0; i < q.Length; i++)
                {
                    nhwc[i] = q[i] * scale;
                }
            }
            else if (tensor.Type == DataType.Float)
            {
                context.View<float>(tensor, batchSize).CopyToCPU(nhwc);
            }
            else if (tensor.Type == DataType.Half)
            {
                // 2-byte halves: their floats, exactly.
                var h = new ushort[nhwc.Length];
                context.View<ushort>(tensor, batchSize).CopyToCPU(h);
                HalfConvert.ToFloats(h).CopyTo(nhwc, 0);
            }
            else
            {
                continue;
            }

            captured.Add(new CapturedTensor(tensor.Name, tensor.Type == DataType.Int8, scale, shape, ToNchw(nhwc, shape)));
        }

        device.Synchronize();
        return captured;
    }

    private static float[] ToNchw(float[] nhwc, TensorShape s)
    {
        var nchw = new float[nhwc.Length];
        for (var n = 0; n < s.N; n++)
        {
            for (var y = 0; y < s.H; y++)
            {
                for (var x = 0; x < s.W; x++)
                {
                    for (var c = 0; c < s.C; c++)
                    {
                        nchw[(((long)n * s.C + c) * s.H + y) * s.W + x] = nhwc[(((long)n * s.H + y) * s.W + x) * s.C + c];
                    }
                }
            }
        }

        return nchw;
    }
}
