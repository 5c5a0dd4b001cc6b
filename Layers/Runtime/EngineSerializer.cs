using System.Security.Cryptography;
using System.Text;
using ILGPUInt8.Kernels.Tensors;
using ILGPUInt8.Layers.Network;
using ILGPUInt8.Layers.Operators;

namespace ILGPUInt8.Layers.Runtime;

/// <summary>
/// The engine file: magic "ILGPUI8E", format version (int32), payload length (int64), SHA-256 of the payload (32 bytes),
/// then the payload: the finished plan (tensors with types, ranges, constants and arena offsets; steps with their layer
/// parameters, precision and fusion; inputs; outputs). Weights are stored as FP32 and quantized again when the engine is
/// made (deterministic host code, so the same bits). A wrong magic, another version, a short file or a checksum mismatch
/// is rejected with <see cref="InvalidDataException"/> saying which. Version 9 stores FP16 tensors as 2-byte halves
/// (tensor type Half and the widening convert kind; older files keep FP16 values in float words, and their steps still
/// run them so). Version 8 adds the TF32 switch after the
/// integer-only flag (older files: strict FP32); version 7 adds each step's FP16 flag after its
/// tactics (older files: every float step FP32) and the round-to-half convert kind (a byte where older files wrote the
/// quantize bool: the same bytes for the old kinds); version 6 each step's timed tactics (batch, variant name);
/// version 5 a slice's step; version 4 the
/// integer-only flag after the outputs; versions 2 (no fused residual sums), 3 (no integer-only flag: float
/// requantize) and 4 (no slice step: 1) are still read.
/// </summary>
internal static class EngineSerializer
{
    public const int Version = 9;

    /// <summary>The oldest format this build still reads (version 2 lacks the fused residual sum: none was fused then).</summary>
    public const int OldestReadable = 2;

    private static readonly byte[] Magic = Encoding.ASCII.GetBytes("ILGPUI8E");

    public static void Write(Plan plan, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var payload = new MemoryStream();
        using (var w = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true))
        {
            WritePlan(plan, w);
        }

        var bytes = payload.ToArray();
        using var header = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        header.Write(Magic);
        header.Write(Version);
        header.Write((long)bytes.Length);
        header.Write(SHA256.HashData(bytes));
        header.Write(bytes);
    }

    public static Plan Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var header = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        var magic = ReadExactly(header, Magic.Length, "the header");
        if (!magic.AsSpan().SequenceEqual(Magic))
        {
            throw new InvalidDataException("Not an ILGPUInt8 engine file (the magic bytes 'ILGPUI8E' are missing).");
        }

        var version = BitConverter.ToInt32(ReadExactly(header, 4, "the version"));
        if (version < OldestReadable || version > Version)
        {
            throw new InvalidDataException(
                $"Engine file format version {version} cannot be read: this build reads versions {OldestReadable} to {Version}{(version > Version ? " (the file was written by a newer build)" : string.Empty)}. Rebuild the engine.");
        }

        var length = BitConverter.ToInt64(ReadExactly(header, 8, "the payload length"));
        if (length < 0 || length > int.MaxValue)
        {
            throw new InvalidDataException($"Corrupt engine file: payload length {length} is impossible.");
        }

        var hash = ReadExactly(header, 32, "the checksum");
        var bytes = ReadExactly(header, (int)length, "the payload");
        if (!SHA256.HashData(bytes).AsSpan().SequenceEqual(hash))
        {
            throw new InvalidDataException("Corrupt engine file: the payload checksum does not match.");
        }

        try
        {
            using var r = new EngineFileReader(new MemoryStream(bytes), version);
            return ReadPlan(r, version);
        }
        catch (Exception ex) when (ex is EndOfStreamException or ArgumentException or IndexOutOfRangeException or InvalidCastException or OverflowException)
        {
            throw new InvalidDataException($"Corrupt engine file: {ex.Message}", ex);
        }
    }

    private static byte[] ReadExactly(BinaryReader r, int count, string what)
    {
        var bytes = r.ReadBytes(count);
        return bytes.Length == count ? bytes : throw new InvalidDataException($"Corrupt engine file: it ends inside {what}.");
    }

    private static void WritePlan(Plan plan, BinaryWriter w)
    {
        w.Write(plan.MaxBatchSize);
        w.Write(plan.ArenaBytes);
        w.Write(plan.UnsharedBytes);
        w.Write(plan.Tensors.Count);
        foreach (var t in plan.Tensors)
        {
            w.Write(t.Name);
            w.Write(t.Dims);
            w.Write((int)t.Type);
            w.Write(t.Threshold.HasValue);
            w.Write(t.Threshold ?? 0f);
            w.WriteArray(t.Constant);
            w.Write(t.IsInput);
            w.Write(t.IsOutput);
            w.Write(t.AliasOf);
            w.Write(t.Offset);
        }

        w.Write(plan.Nodes.Count);
        foreach (var n in plan.Nodes)
        {
            w.Write((int)n.Layer.Type);
            w.Write(n.Layer.Name);
            n.Layer.WriteParameters(w);
            w.WriteArray([.. n.Inputs]);
            w.Write(n.Output);
            w.Write(n.Int8);
            w.Write(n.Fused);
            w.Write(n.IntermediateThreshold);
            w.Write(n.ResidualThreshold.HasValue);
            w.Write(n.ResidualThreshold ?? 0f);
            w.WriteArray([.. n.Sources]);
            w.Write(n.IsView);
            w.Write(n.Tactics.Count);
            foreach (var (batch, variant) in n.Tactics)
            {
                w.Write(batch);
                w.Write(variant);
            }

            w.Write(n.Half);
        }

        w.WriteArray([.. plan.Inputs]);
        w.WriteArray([.. plan.Outputs]);
        w.Write(plan.IntegerOnly);
        w.Write(plan.Tf32);
    }

    private static Plan ReadPlan(BinaryReader r, int version)
    {
        var plan = new Plan { MaxBatchSize = r.ReadInt32(), ArenaBytes = r.ReadInt64(), UnsharedBytes = r.ReadInt64() };
        var tensors = Count(r, "tensors");
        for (var i = 0; i < tensors; i++)
        {
            var t = plan.Add(r.ReadString(), r.ReadDims());
            t.Type = r.ReadEnum<DataType>();
            var has = r.ReadBoolean();
            var threshold = r.ReadSingle();
            t.Threshold = has ? threshold : null;
            t.Constant = r.ReadFloatArray();
            t.IsInput = r.ReadBoolean();
            t.IsOutput = r.ReadBoolean();
            t.AliasOf = r.ReadInt32();
            t.Offset = r.ReadInt64();
            if (!t.Dims.IsValid || t.AliasOf >= tensors || t.Offset < 0 || (t.Type is not (DataType.Float or DataType.Int8) && !(t.Type == DataType.Half && version >= 9 && t.Constant is null)))
            {
                throw new InvalidDataException($"Corrupt engine file: tensor '{t.Name}' is inconsistent.");
            }
        }

        var nodes = Count(r, "steps");
        for (var i = 0; i < nodes; i++)
        {
            var type = r.ReadEnum<LayerType>();
            var layer = ReadLayer(type, r.ReadString(), r);
            var inputs = r.ReadIntArray();
            var output = r.ReadInt32();
            if (output < 0 || output >= tensors || Array.Exists(inputs, id => id < 0 || id >= tensors))
            {
                throw new InvalidDataException($"Corrupt engine file: step '{layer.Name}' refers to a tensor that does not exist.");
            }

            var node = new PlanNode(layer, [.. inputs], output, []) { Int8 = r.ReadBoolean(), Fused = r.ReadActivation(), IntermediateThreshold = r.ReadSingle() };
            if (version >= 3 && r.ReadBoolean())
            {
                node.ResidualThreshold = r.ReadSingle();
            }
            else if (version >= 3)
            {
                r.ReadSingle();
            }

            // A fused residual sum's skip operand is the last input, beside the layer's own.
            var layerInputs = node.ResidualThreshold is null ? inputs : inputs[..^1];
            if (node.ResidualThreshold is { } t && (!layer.FusesResidualSum || !node.Int8 || inputs.Length != 2 || plan.Tensors[inputs[1]].Dims != plan.Tensors[output].Dims || !(t > 0f) || !float.IsFinite(t)))
            {
                throw new InvalidDataException($"Corrupt engine file: step '{layer.Name}' has a fused residual sum it cannot have.");
            }

            node.Sources.AddRange(r.ReadStringArray());
            node.IsView = r.ReadBoolean();
            var tactics = version >= 6 ? Count(r, "tactics") : 0;
            for (var k = 0; k < tactics; k++)
            {
                var batch = r.ReadInt32();
                var variant = r.ReadString();
                if (batch <= 0 || batch > plan.MaxBatchSize || variant.Length == 0)
                {
                    throw new InvalidDataException($"Corrupt engine file: step '{layer.Name}' has a tactic for batch {batch} ('{variant}').");
                }

                node.Tactics.Add((batch, variant));
            }

            node.Half = version >= 7 && r.ReadBoolean();
            if (node.Half && node.Int8)
            {
                throw new InvalidDataException($"Corrupt engine file: step '{layer.Name}' is both INT8 and FP16.");
            }

            if (HalfMismatch(plan, node) is { } why)
            {
                throw new InvalidDataException($"Corrupt engine file: step '{layer.Name}' {why}.");
            }

            plan.Nodes.Add(node);

            // The shapes must agree with the parameters, as when the network was built.
            var dims = layer.InferOutput([.. layerInputs.Select(id => plan.Tensors[id].Dims)]);
            if (dims != plan.Tensors[output].Dims)
            {
                throw new InvalidDataException($"Corrupt engine file: step '{layer.Name}' computes {dims}, not {plan.Tensors[output].Dims}.");
            }
        }

        plan.Inputs.AddRange(r.ReadIntArray());
        plan.Outputs.AddRange(r.ReadIntArray());
        plan.IntegerOnly = version >= 4 && r.ReadBoolean();
        plan.Tf32 = version >= 8 && r.ReadBoolean();
        if (plan.MaxBatchSize <= 0 || plan.Inputs.Concat(plan.Outputs).Any(id => id < 0 || id >= tensors) || plan.Outputs.Any(id => plan.Tensors[id].Type == DataType.Half) || r.BaseStream.Position != r.BaseStream.Length)
        {
            throw new InvalidDataException("Corrupt engine file: the plan is inconsistent.");
        }

        return plan;
    }

    /// <summary>
    /// Why a step cannot read or write the 2-byte half tensors it names, or null: only FP16 steps and the conversions to
    /// and from halves touch them (ToHalf: float → half or float words; FromHalf: half → float; Quantize: float or half →
    /// int8; Dequantize: int8 → float or half), and a view has its input's element type.
    /// </summary>
    private static string? HalfMismatch(Plan plan, PlanNode node)
    {
        var input = plan.Tensors[node.Inputs.Count > 0 ? node.Inputs[0] : node.Output].Type;
        var output = plan.Tensors[node.Output].Type;
        bool halves = node.Inputs.Append(node.Output).Any(id => plan.Tensors[id].Type == DataType.Half);
        bool fits = node.Layer is ConvertLayer convert
            ? (convert.Kind, input, output) switch
            {
                (ConvertKind.ToHalf, DataType.Float, DataType.Half or DataType.Float) => true,
                (ConvertKind.FromHalf, DataType.Half, DataType.Float) => true,
                (ConvertKind.Quantize, DataType.Float or DataType.Half, DataType.Int8) => true,
                (ConvertKind.Dequantize, DataType.Int8, DataType.Float or DataType.Half) => true,
                _ => false,
            }
            : node.IsView ? !halves || input == output : node.Half || !halves;
        return fits ? null : $"reads {input} and writes {output} as a {(node.Layer is ConvertLayer c ? c.Kind.ToString() : node.Precision)} step";
    }

    private static int Count(BinaryReader r, string what)
    {
        var n = r.ReadInt32();
        return n is >= 0 and <= 1_000_000 ? n : throw new InvalidDataException($"Corrupt engine file: {n} {what}.");
    }

    private static Layer ReadLayer(LayerType type, string name, BinaryReader r) =>
        (OperatorRegistry.Find(type) ?? throw new InvalidDataException($"Unknown layer type {type}.")).Read(name, r);
}

/// <summary>A reader of an engine file's payload that knows the file's format version (layers written differently before).</summary>
internal sealed class EngineFileReader(Stream stream, int version) : BinaryReader(stream, Encoding.UTF8)
{
    /// <summary>The format version of the file being read.</summary>
    public int Version { get; } = version;
}
