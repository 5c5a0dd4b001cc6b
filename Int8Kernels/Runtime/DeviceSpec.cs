using System.Globalization;

namespace ILGPUInt8.Kernels.Runtime;

/// <summary>
/// A device as a user names it: <c>cpu</c> (ILGPU's CPU accelerator, run by the CPU backend) or <c>cuda:N</c> (the N-th
/// CUDA device in <c>CUDA_VISIBLE_DEVICES</c> order). The one place device names are parsed: <see cref="Parse"/> takes
/// one name (<c>cuda</c> and <c>gpu</c> mean <c>cuda:0</c>), <see cref="ParseList"/> a comma-separated list for several
/// devices, with <c>all</c> (every CUDA device, else the CPU) and <c>auto</c> (<see cref="Default"/>).
/// </summary>
/// <param name="Kind"><see cref="DeviceKind.Cpu"/> or <see cref="DeviceKind.Cuda"/> (never Auto).</param>
/// <param name="Ordinal">The CUDA device number (0 for the CPU).</param>
public sealed record DeviceSpec(DeviceKind Kind, int Ordinal)
{
    /// <summary>The CPU accelerator.</summary>
    public static DeviceSpec Cpu { get; } = new(DeviceKind.Cpu, 0);

    /// <summary>CUDA device <paramref name="ordinal"/> (<c>cuda:N</c>).</summary>
    public static DeviceSpec Cuda(int ordinal)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(ordinal);
        return new DeviceSpec(DeviceKind.Cuda, ordinal);
    }

    /// <summary>The name a user passes: <c>cpu</c> or <c>cuda:N</c>.</summary>
    public string Name => Kind == DeviceKind.Cuda ? string.Create(CultureInfo.InvariantCulture, $"cuda:{Ordinal}") : "cpu";

    /// <summary>
    /// The device <see cref="DeviceKind.Auto"/> means: <c>ILGPUINT8_DEVICE</c> when set (cpu, cuda, cuda:N), else
    /// <c>cuda:0</c> when CUDA is present, else <c>cpu</c>.
    /// </summary>
    public static DeviceSpec Default => Of(DeviceKind.Auto);

    /// <summary>
    /// The spec of a kind as the single-device API means it: Auto as <see cref="Default"/>; Cuda as the ordinal
    /// <c>ILGPUINT8_DEVICE=cuda:N</c> names (0 otherwise); Cpu as <c>cpu</c>.
    /// </summary>
    public static DeviceSpec Of(DeviceKind kind)
    {
        var resolved = Int8Device.Resolve(kind);
        return resolved == DeviceKind.Cpu ? Cpu : new DeviceSpec(DeviceKind.Cuda, Math.Max(0, Int8Device.CudaOrdinal));
    }

    /// <summary>Parses one device name: <c>cpu</c>, <c>cuda</c>, <c>gpu</c> or <c>cuda:N</c> (case-insensitive); false for anything else.</summary>
    public static bool TryParse(string? text, out DeviceSpec spec)
    {
        spec = Cpu;
        var t = text?.Trim().ToLowerInvariant();
        switch (t)
        {
            case "cpu":
                return true;
            case "cuda" or "gpu":
                spec = new DeviceSpec(DeviceKind.Cuda, 0);
                return true;
        }

        if (t is not null && t.StartsWith("cuda:", StringComparison.Ordinal)
            && int.TryParse(t.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            spec = new DeviceSpec(DeviceKind.Cuda, n);
            return true;
        }

        return false;
    }

    /// <summary>Parses one device name (<see cref="TryParse"/>); anything else is an ArgumentException listing the accepted forms.</summary>
    public static DeviceSpec Parse(string text) =>
        TryParse(text, out var spec) ? spec : throw new ArgumentException($"'{text}' is not a device: use cpu, cuda or cuda:N.", nameof(text));

    /// <summary>
    /// Parses a device list: names separated by commas (<c>cuda:0,cuda:1</c>, <c>cpu,cpu</c>), <c>all</c> (<see cref="All"/>)
    /// or <c>auto</c> (<see cref="Default"/>). A CPU may be listed several times (each is its own CPU accelerator); a CUDA
    /// device only once (two contexts on one GPU only share it). Errors are ArgumentExceptions naming the bad entry.
    /// </summary>
    public static IReadOnlyList<DeviceSpec> ParseList(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim().ToLowerInvariant();
        if (t == "all")
        {
            return All();
        }

        if (t == "auto")
        {
            return [Default];
        }

        var specs = new List<DeviceSpec>();
        foreach (var part in t.Split(','))
        {
            if (part.Trim().Length == 0)
            {
                throw new ArgumentException($"'{text}' has an empty device name: list devices as cpu,cpu or cuda:0,cuda:1.", nameof(text));
            }

            if (!TryParse(part, out var spec))
            {
                throw new ArgumentException($"'{part.Trim()}' in '{text}' is not a device: use cpu, cuda:N, or all.", nameof(text));
            }

            if (spec.Kind == DeviceKind.Cuda && specs.Contains(spec))
            {
                throw new ArgumentException($"'{text}' lists {spec.Name} twice: a CUDA device runs one engine replica (only cpu may repeat).", nameof(text));
            }

            specs.Add(spec);
        }

        return specs;
    }

    /// <summary>Every CUDA device this process sees (<c>cuda:0</c> … <c>cuda:N−1</c>), or the CPU alone when there is none.</summary>
    public static IReadOnlyList<DeviceSpec> All()
    {
        var count = Int8Device.CudaDeviceCount;
        return count == 0 ? [Cpu] : [.. Enumerable.Range(0, count).Select(i => new DeviceSpec(DeviceKind.Cuda, i))];
    }

    /// <summary>Throws an ArgumentException naming how many CUDA devices there are when this is a CUDA device the machine lacks.</summary>
    public void Check()
    {
        if (Kind != DeviceKind.Cuda)
        {
            return;
        }

        var count = Int8Device.CudaDeviceCount;
        if (count == 0)
        {
            throw new ArgumentException($"{Name}: no CUDA device was found here (0 CUDA devices); use cpu.");
        }

        if (Ordinal >= count)
        {
            throw new ArgumentException($"{Name}: this machine has {count} CUDA device{(count == 1 ? string.Empty : "s")} (cuda:0 to cuda:{count - 1}).");
        }
    }

    /// <inheritdoc />
    public override string ToString() => Name;
}
