using System.Globalization;
using System.Text;

namespace ILGPUInt8.Layers.Onnx;

/// <summary>
/// Finds where a protobuf byte stream breaks, for error messages: walks the wire format (tags, varints,
/// lengths) along the ONNX message layout and returns "byte 1234 in graph.node[5].attribute[0]: why".
/// Only runs after the real parser has failed; it allocates nothing proportional to the input.
/// </summary>
internal static class ProtoWireLocator
{
    internal enum Root
    {
        Model,
        Tensor,
    }

    private const int MaxDepth = 100;

    private sealed class Message(string name)
    {
        public string Name { get; } = name;
        public Dictionary<int, (string Field, Message? Child, bool IsString)> Fields { get; } = [];

        public Message With(int number, string field, Message? child = null, bool isString = false)
        {
            Fields[number] = (field, child, isString);
            return this;
        }
    }

    private static readonly Message ModelSchema = BuildSchema(out TensorSchema);
    private static readonly Message TensorSchema;

    private static Message BuildSchema(out Message tensor)
    {
        var entry = new Message("StringStringEntryProto").With(1, "key", isString: true).With(2, "value", isString: true);
        tensor = new Message("TensorProto").With(3, "segment", new Message("Segment")).With(6, "string_data")
            .With(8, "name", isString: true).With(13, "external_data", entry);
        var dim = new Message("Dimension").With(2, "dim_param", isString: true).With(3, "denotation", isString: true);
        var shape = new Message("TensorShapeProto").With(1, "dim", dim);
        var tensorType = new Message("TypeProto.Tensor").With(2, "shape", shape);
        var type = new Message("TypeProto").With(1, "tensor_type", tensorType).With(6, "denotation", isString: true);
        var valueInfo = new Message("ValueInfoProto").With(1, "name", isString: true).With(2, "type", type);
        var attribute = new Message("AttributeProto").With(1, "name", isString: true).With(21, "ref_attr_name", isString: true)
            .With(5, "t", tensor).With(10, "tensors", tensor);
        var node = new Message("NodeProto").With(1, "input", isString: true).With(2, "output", isString: true)
            .With(3, "name", isString: true).With(4, "op_type", isString: true).With(7, "domain", isString: true)
            .With(5, "attribute", attribute);
        var sparse = new Message("SparseTensorProto").With(1, "values", tensor).With(2, "indices", tensor);
        var graph = new Message("GraphProto").With(1, "node", node).With(2, "name", isString: true).With(5, "initializer", tensor)
            .With(15, "sparse_initializer", sparse).With(11, "input", valueInfo).With(12, "output", valueInfo)
            .With(13, "value_info", valueInfo);
        var opset = new Message("OperatorSetIdProto").With(1, "domain", isString: true);
        return new Message("ModelProto").With(8, "opset_import", opset).With(2, "producer_name", isString: true)
            .With(3, "producer_version", isString: true).With(4, "domain", isString: true).With(7, "graph", graph);
    }

    /// <summary>Where the stream breaks, or a note that the walk found nothing wrong in the framing.</summary>
    public static string Locate(ReadOnlySpan<byte> data, Root root)
    {
        var schema = root == Root.Model ? ModelSchema : TensorSchema;
        string path = root == Root.Model ? "model" : "tensor";
        return Walk(data, 0, data.Length, schema, path, 0, endGroupField: -1, out _)
            ?? $"{path} (the framing is intact; a value inside is invalid)";
    }

    private static string? Walk(ReadOnlySpan<byte> data, int pos, int end, Message? schema, string path, int depth,
        int endGroupField, out int stop)
    {
        stop = pos;
        if (depth > MaxDepth)
        {
            return At(pos, path, $"messages nest deeper than {MaxDepth} levels");
        }
        var counts = new Dictionary<int, int>();
        while (pos < end)
        {
            int tagAt = pos;
            if (!ReadVarint(data, ref pos, end, out ulong tag))
            {
                return At(tagAt, path, "a field tag is cut off or longer than 10 bytes");
            }
            int number = (int)Math.Min(tag >> 3, int.MaxValue);
            int wire = (int)(tag & 7);
            if (number == 0)
            {
                return At(tagAt, path, "field number 0 is invalid");
            }
            (string Field, Message? Child, bool IsString) known = default;
            bool isKnown = schema is not null && schema.Fields.TryGetValue(number, out known);
            int index = counts.GetValueOrDefault(number);
            counts[number] = index + 1;
            string fieldPath = isKnown ? $"{path}.{known.Field}[{index.ToString(CultureInfo.InvariantCulture)}]"
                : $"{path}.#{number.ToString(CultureInfo.InvariantCulture)}";
            switch (wire)
            {
                case 0:
                    if (!ReadVarint(data, ref pos, end, out _))
                    {
                        return At(tagAt, fieldPath, "a varint is cut off or longer than 10 bytes");
                    }
                    break;
                case 1:
                case 5:
                    int size = wire == 1 ? 8 : 4;
                    if (end - pos < size)
                    {
                        return At(tagAt, fieldPath, $"a {size}-byte value is cut off ({end - pos} bytes left)");
                    }
                    pos += size;
                    break;
                case 2:
                    int lengthAt = pos;
                    if (!ReadVarint(data, ref pos, end, out ulong length))
                    {
                        return At(lengthAt, fieldPath, "a length is cut off or longer than 10 bytes");
                    }
                    if (length > (ulong)(end - pos))
                    {
                        return At(lengthAt, fieldPath, $"the field claims {length} bytes but only {end - pos} remain in its parent");
                    }
                    int bodyEnd = pos + (int)length;
                    if (isKnown && known.Child is not null)
                    {
                        string? inner = Walk(data, pos, bodyEnd, known.Child, fieldPath, depth + 1, -1, out _);
                        if (inner is not null)
                        {
                            return inner;
                        }
                    }
                    else if (isKnown && known.IsString && !IsUtf8(data[pos..bodyEnd]))
                    {
                        return At(pos, fieldPath, "a string is not valid UTF-8");
                    }
                    pos = bodyEnd;
                    break;
                case 3:
                    string? group = Walk(data, pos, end, null, fieldPath, depth + 1, number, out int after);
                    if (group is not null)
                    {
                        return group;
                    }
                    pos = after;
                    break;
                case 4:
                    if (number != endGroupField)
                    {
                        return At(tagAt, fieldPath, "an end-group tag without its start");
                    }
                    stop = pos;
                    return null;
                default:
                    return At(tagAt, fieldPath, $"wire type {wire} does not exist");
            }
        }
        stop = pos;
        return endGroupField >= 0 ? At(pos, path, "a group is not closed") : null;
    }

    private static bool ReadVarint(ReadOnlySpan<byte> data, ref int pos, int end, out ulong value)
    {
        value = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            if (pos >= end)
            {
                return false;
            }
            byte b = data[pos++];
            value |= (ulong)(b & 0x7F) << Math.Min(shift, 63);
            if ((b & 0x80) == 0)
            {
                return true;
            }
        }
        return false;
    }

    private static bool IsUtf8(ReadOnlySpan<byte> bytes)
    {
        try
        {
            _ = Utf8Strict.GetCharCount(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    private static readonly UTF8Encoding Utf8Strict = new(false, true);

    private static string At(int offset, string path, string what) =>
        $"byte {offset.ToString(CultureInfo.InvariantCulture)} in {path}: {what}";
}
