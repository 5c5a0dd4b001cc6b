using ILGPUInt8.Kernels.Runtime;
using ILGPUInt8.Kernels.Tensors;

namespace ILGPUInt8.Kernels.Convolution;

/// <summary>
/// Every convolution variant by name, most preferred first; <c>ILGPUINT8_CONV</c> forces one by name.
/// </summary>
public static class ConvVariants
{
    /// <summary>Environment variable that forces a variant by name.</summary>
    public const string ForceEnvironmentVariable = "ILGPUINT8_CONV";

    /// <summary>All variants, most preferred first.</summary>
    public static IReadOnlyList<IConvVariant> All { get; } = [new ConvDp4aImplicitGemm(), new ConvDirect()];

    /// <summary>The variant with this name, or an exception listing the names.</summary>
    public static IConvVariant Get(string name) =>
        All.FirstOrDefault(v => v.Name == name)
        ?? throw new ArgumentException($"No convolution variant named '{name}'. Known: {string.Join(", ", All.Select(v => v.Name))}.", nameof(name));

    /// <summary>The forced variant, else the first that can run the problem; the reasons of all otherwise.</summary>
    public static IConvVariant Select(Int8Device device, ConvProblem problem, TensorFormat format, string? name = null)
    {
        name ??= Environment.GetEnvironmentVariable(ForceEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(name))
        {
            var forced = Get(name.Trim());
            var why = forced.CanImplement(device, problem, format);
            return why is null ? forced : throw new NotSupportedException($"{forced.Name} cannot run {problem} ({format}): {why}");
        }

        var reasons = new List<string>();
        foreach (var v in All)
        {
            var why = v.CanImplement(device, problem, format);
            if (why is null)
            {
                return v;
            }

            reasons.Add($"{v.Name}: {why}");
        }

        throw new NotSupportedException($"No convolution variant can run {problem} ({format}). {string.Join("; ", reasons)}");
    }
}
