using System.Security.Cryptography;
using ILGPUInt8.Layers.Runtime;

namespace ILGPUInt8.Cli.Common;

/// <summary>Seeded uniform [-1, 1) inputs for benchmarks, and a hash of outputs to compare runs.</summary>
public static class RandomInputs
{
    /// <summary>One batch for every input (NCHW float), from <see cref="Random"/>(<paramref name="seed"/>).</summary>
    public static Dictionary<string, float[]> For(IEnumerable<EngineBinding> inputs, int batch, int seed)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var random = new Random(seed);
        var result = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var input in inputs)
        {
            var values = new float[checked((int)(input.Dims.Volume * batch))];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = (float)((random.NextDouble() * 2) - 1);
            }

            result[input.Name] = values;
        }

        return result;
    }

    /// <summary>SHA-256 (hex) of the outputs' float bytes in the engine's output order: equal hashes, equal outputs.</summary>
    public static string Hash(Engine engine, IReadOnlyDictionary<string, float[]> outputs)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(outputs);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var o in engine.Outputs)
        {
            var values = outputs[o.Name];
            var bytes = new byte[values.Length * sizeof(float)];
            Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
            sha.AppendData(bytes);
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
