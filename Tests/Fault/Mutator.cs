using System.Text;

namespace ILGPUInt8.Tests.Fault;

/// <summary>
/// Seeded mutations of a valid file: bit flips, edge bytes, truncation, insertion, deletion, duplicated ranges and, for
/// text, numbers and structure characters swapped for hostile ones. Case k of a seed is always the same bytes.
/// </summary>
internal static class Mutator
{
    private static readonly byte[] EdgeBytes = [0x00, 0x01, 0x7F, 0x80, 0xFF, 0xFE, (byte)'\n', (byte)':', (byte)'"', (byte)'{', (byte)'}', (byte)'[', (byte)',', (byte)'-', (byte)'9', (byte)'e', (byte)' '];

    private static readonly string[] HostileText =
        ["-1", "0", "1e400", "-1e-400", "NaN", "Infinity", "\"\"", "null", "2147483648", "99999999999999999999", "[]", "{}", "true", "ffffffff", "00000000", "7f800000", "00000001", "\u0000", "é"];

    /// <summary>The <paramref name="k"/>-th mutation of <paramref name="original"/>.</summary>
    public static byte[] Mutate(byte[] original, int seed, int k)
    {
        var random = new Random(HashCode.Combine(seed, k));
        var data = new List<byte>(original);
        var rounds = 1 + random.Next(3);
        for (var round = 0; round < rounds; round++)
        {
            var at = data.Count == 0 ? 0 : random.Next(data.Count);
            switch (random.Next(9))
            {
                case 0 when data.Count > 0:
                    data[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when data.Count > 0:
                    data[at] = EdgeBytes[random.Next(EdgeBytes.Length)];
                    break;
                case 2:
                    data.RemoveRange(at, data.Count - at);
                    break;
                case 3:
                    data.InsertRange(at, Enumerable.Range(0, 1 + random.Next(16)).Select(_ => (byte)random.Next(256)));
                    break;
                case 4 when data.Count > 0:
                    data.RemoveRange(at, Math.Min(1 + random.Next(32), data.Count - at));
                    break;
                case 5 when data.Count > 0:
                    var length = Math.Min(1 + random.Next(64), data.Count - at);
                    data.InsertRange(random.Next(data.Count), data.GetRange(at, length));
                    break;
                case 6:
                    data.InsertRange(at, Encoding.UTF8.GetBytes(HostileText[random.Next(HostileText.Length)]));
                    break;
                case 7 when data.Count > 0:
                    // A digit run replaced by a hostile token (text formats: numbers, hex scales, shapes).
                    var digit = data.FindIndex(at, b => b is >= (byte)'0' and <= (byte)'9');
                    if (digit >= 0)
                    {
                        var end = digit;
                        while (end < data.Count && data[end] is >= (byte)'0' and <= (byte)'9' or (byte)'.' or (byte)'e' or (byte)'-' or (byte)'a' or (byte)'b' or (byte)'c' or (byte)'d' or (byte)'f')
                        {
                            end++;
                        }

                        data.RemoveRange(digit, end - digit);
                        data.InsertRange(digit, Encoding.UTF8.GetBytes(HostileText[random.Next(HostileText.Length)]));
                    }

                    break;
                default:
                    if (data.Count >= 4)
                    {
                        // A 32-bit word set to an extreme (binary formats: lengths, dims, counts).
                        var word = random.Next(data.Count - 3);
                        var value = new[] { 0, -1, int.MaxValue, int.MinValue, 0x7FFFFFFF >> random.Next(31), 1 << random.Next(31) }[random.Next(6)];
                        var bytes = BitConverter.GetBytes(random.Next(2) == 0 ? value : System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(value));
                        for (var i = 0; i < 4; i++)
                        {
                            data[word + i] = bytes[i];
                        }
                    }

                    break;
            }
        }

        return [.. data];
    }
}
