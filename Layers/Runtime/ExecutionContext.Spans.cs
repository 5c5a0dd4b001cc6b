using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ILGPU.Runtime;

namespace ILGPUInt8.Layers.Runtime;

/// <summary>
/// I/O without copies on the host: inputs read from, and outputs written into, memory the caller owns (no output
/// arrays, no dictionaries, no step iterator per call). On the CPU backend a steady-state call allocates nothing at all
/// (the steps run struct bodies on <see cref="Kernels.Cpu.CpuThreads"/>' persistent workers; staging copies are plain
/// host copies); Tests/Runtime/ZeroAllocationTests checks it.
/// </summary>
public sealed partial class ExecutionContext
{
    /// <summary>
    /// Runs a batch of a single-input, single-output engine: <paramref name="input"/> holds batch·C·H·W NCHW values,
    /// <paramref name="output"/> receives the output's batch·C·H·W values.
    /// </summary>
    public void Execute(ReadOnlySpan<float> input, Span<float> output, int batchSize)
    {
        var (inputName, outputName) = SingleBindings();
        SetInput(inputName, input, batchSize);
        RunAll(batchSize);
        ReadOutput(outputName, output, batchSize);
    }

    /// <summary>Copies one input (NCHW float, batch·C·H·W values) to the device.</summary>
    public void SetInput(string name, ReadOnlySpan<float> values, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(name);
        CheckBatch(batchSize);
        Bind();
        var i = BindingIndex(Engine.Inputs, name, "input");
        var need = Engine.Inputs[i].Dims.Volume * batchSize;
        if (values.Length != need)
        {
            throw new ArgumentException($"Input '{name}' has {values.Length} values; batch {batchSize} of {Engine.Inputs[i].Dims} needs {need}.", nameof(values));
        }

        if (Engine.HostIsa is not null)
        {
            // The CPU backend's staging buffer is host memory: a plain copy (ILGPU's CopyFromCPU wraps the source in a new view object).
            unsafe
            {
                values.CopyTo(new Span<float>((void*)_inputs[i].NativePtr, values.Length));
            }

            return;
        }

        var staging = _inputs[i].View.SubView(0, need);
        using var launching = Engine.Device.LaunchGate.Launching();
        staging.CopyFromCPU(ref MemoryMarshal.GetReference(values), values.Length);
    }

    /// <summary>Waits for the device and copies one output (NCHW float, batch·C·H·W values) into <paramref name="destination"/>.</summary>
    public void ReadOutput(string name, Span<float> destination, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(name);
        CheckBatch(batchSize);
        Bind();
        var i = BindingIndex(Engine.Outputs, name, "output");
        var need = Engine.Outputs[i].Dims.Volume * batchSize;
        if (destination.Length != need)
        {
            throw new ArgumentException($"Output '{name}' needs {need} values for batch {batchSize} of {Engine.Outputs[i].Dims}; the destination has {destination.Length}.", nameof(destination));
        }

        if (Engine.HostIsa is not null)
        {
            // The CPU backend ran synchronously into host memory: a plain copy, nothing to wait for.
            unsafe
            {
                new ReadOnlySpan<float>((void*)_outputs[i].NativePtr, destination.Length).CopyTo(destination);
            }

            return;
        }

        var staging = _outputs[i].View.SubView(0, need);

        Engine.Device.Synchronize();
        using var launching = Engine.Device.LaunchGate.Launching();
        staging.CopyToCPU(ref MemoryMarshal.GetReference(destination), destination.Length);
    }

    /// <summary>
    /// Runs a single-input, single-output engine on tensors: <paramref name="input"/> is [N, C, H, W] (trailing unit
    /// dimensions may be left out, e.g. [N, C] for C×1×1), <paramref name="output"/> likewise for the output; N is the
    /// batch. Shapes are checked by dimension; dense spans are used in place, strided ones copied once.
    /// </summary>
    public void Execute(in ReadOnlyTensorSpan<float> input, in TensorSpan<float> output)
    {
        var (inputName, outputName) = SingleBindings();
        var batch = BatchOf(input.Lengths, Engine.Inputs[0], "input");
        var outBatch = BatchOf(output.Lengths, Engine.Outputs[0], "output");
        if (outBatch != batch)
        {
            throw new ArgumentException($"The output tensor holds {outBatch} items, the input {batch}.", nameof(output));
        }

        if (input.IsDense)
        {
            SetInput(inputName, MemoryMarshal.CreateReadOnlySpan(ref Unsafe.AsRef(in input.GetPinnableReference()), checked((int)input.FlattenedLength)), batch);
        }
        else
        {
            var staging = ArrayPool<float>.Shared.Rent(checked((int)input.FlattenedLength));
            try
            {
                input.FlattenTo(staging);
                SetInput(inputName, staging.AsSpan(0, (int)input.FlattenedLength), batch);
            }
            finally
            {
                ArrayPool<float>.Shared.Return(staging);
            }
        }

        RunAll(batch);
        if (output.IsDense)
        {
            ReadOutput(outputName, MemoryMarshal.CreateSpan(ref output.GetPinnableReference(), checked((int)output.FlattenedLength)), batch);
        }
        else
        {
            var staging = ArrayPool<float>.Shared.Rent(checked((int)output.FlattenedLength));
            try
            {
                var flat = staging.AsSpan(0, (int)output.FlattenedLength);
                ReadOutput(outputName, flat, batch);
                new ReadOnlyTensorSpan<float>(flat, output.Lengths).CopyTo(output);
            }
            finally
            {
                ArrayPool<float>.Shared.Return(staging);
            }
        }
    }

    /// <summary>Runs a single-input, single-output engine on a tensor [N, C, H, W]; returns the output as [N, C, H, W].</summary>
    public Tensor<float> Execute(Tensor<float> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var batch = BatchOf(input.Lengths, Engine.Inputs[0], "input");
        var dims = Engine.Outputs[0].Dims;
        ReadOnlySpan<nint> lengths = [batch, dims.C, dims.H, dims.W];
        var output = System.Numerics.Tensors.Tensor.Create(new float[dims.Volume * batch], lengths);
        Execute(input.AsReadOnlyTensorSpan(), output.AsTensorSpan());
        return output;
    }

    /// <summary>
    /// The batch N of a tensor shape [N, d1, ...] for a binding of (C, H, W): the item dimensions, padded with trailing
    /// ones to rank 3, must equal (C, H, W).
    /// </summary>
    private static int BatchOf(ReadOnlySpan<nint> lengths, EngineBinding binding, string what)
    {
        var shape = string.Join(", ", lengths.ToArray());
        if (lengths.Length is < 1 or > 4)
        {
            throw new ArgumentException($"The {what} tensor [{shape}] must have rank 1 to 4 ([N, C, H, W]) for '{binding.Name}' {binding.Dims}.");
        }

        ReadOnlySpan<int> expected = [binding.Dims.C, binding.Dims.H, binding.Dims.W];
        for (var d = 0; d < 3; d++)
        {
            var given = d + 1 < lengths.Length ? lengths[d + 1] : 1;
            if (given != expected[d])
            {
                throw new ArgumentException($"The {what} tensor [{shape}] does not match '{binding.Name}': [N, {binding.Dims.C}, {binding.Dims.H}, {binding.Dims.W}] expected (dimension {d + 1} is {given}, not {expected[d]}).");
            }
        }

        return lengths[0] is > 0 and <= int.MaxValue ? (int)lengths[0] : throw new ArgumentException($"The {what} tensor [{shape}] has a batch of {lengths[0]}.");
    }

    private (string Input, string Output) SingleBindings()
    {
        if (Engine.Inputs.Count != 1 || Engine.Outputs.Count != 1)
        {
            throw new InvalidOperationException($"The engine has {Engine.Inputs.Count} inputs and {Engine.Outputs.Count} outputs; use SetInput/Enqueue/ReadOutput by name.");
        }

        return (Engine.Inputs[0].Name, Engine.Outputs[0].Name);
    }

    private static int BindingIndex(IReadOnlyList<EngineBinding> bindings, string name, string what)
    {
        for (var i = 0; i < bindings.Count; i++)
        {
            if (string.Equals(bindings[i].Name, name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        throw new ArgumentException($"'{name}' is not an {what} of the engine ({what}s: {string.Join(", ", bindings.Select(b => b.Name))}).", nameof(name));
    }
}
