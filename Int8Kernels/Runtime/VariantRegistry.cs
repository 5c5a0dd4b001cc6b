namespace ILGPUInt8.Kernels.Runtime;

/// <summary>One implementation of a kernel family (a GEMM or convolution variant), known by its name.</summary>
public interface IKernelVariant
{
    /// <summary>Name that says type, layout and strategy, e.g. <c>gemm_s8s8s32_tn_dp4a_128x128x32</c>.</summary>
    string Name { get; }
}

/// <summary>
/// The variants of one kernel family by name, most preferred first. <see cref="Select"/> takes the named one (an
/// argument, else the environment variable <see cref="ForceEnvironmentVariable"/>), which must be able to run the
/// problem, else the first that can and does not decline it. Every rule that decides whether a variant can run a
/// launch (sizes, formats, operand alignment) lives in that variant; callers never test variant types.
/// </summary>
/// <typeparam name="T">The family's variant interface.</typeparam>
public sealed class VariantRegistry<T>
    where T : class, IKernelVariant
{
    private readonly List<T> _registered = [];

    /// <summary>An empty registry for the family <paramref name="family"/> (used in messages, e.g. "GEMM").</summary>
    public VariantRegistry(string family, string forceEnvironmentVariable)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(family);
        ArgumentException.ThrowIfNullOrWhiteSpace(forceEnvironmentVariable);
        Family = family;
        ForceEnvironmentVariable = forceEnvironmentVariable;
    }

    /// <summary>The family's name in messages.</summary>
    public string Family { get; }

    /// <summary>Environment variable that forces a variant by name.</summary>
    public string ForceEnvironmentVariable { get; }

    /// <summary>All registered variants, most preferred first.</summary>
    public IReadOnlyList<T> All
    {
        get
        {
            lock (_registered)
            {
                return [.. _registered];
            }
        }
    }

    /// <summary>Adds a variant (a later call with the same name replaces it); <paramref name="preferred"/> puts it first.</summary>
    public void Register(T variant, bool preferred = false)
    {
        ArgumentNullException.ThrowIfNull(variant);
        lock (_registered)
        {
            _registered.RemoveAll(v => v.Name == variant.Name);
            if (preferred)
            {
                _registered.Insert(0, variant);
            }
            else
            {
                _registered.Add(variant);
            }
        }
    }

    /// <summary>The variant named <paramref name="name"/>, or null when none is registered under it.</summary>
    public T? Find(string name) => All.FirstOrDefault(v => v.Name == name);

    /// <summary>The variant with this name, or an exception listing the names.</summary>
    public T Get(string name) =>
        Find(name)
        ?? throw new ArgumentException($"No {Family} variant named '{name}'. Known: {string.Join(", ", All.Select(v => v.Name))}.", nameof(name));

    /// <summary>
    /// The variant for a launch: the one named by <paramref name="name"/> (else by the environment variable), which
    /// must be able to run it, else the first for which <paramref name="cannot"/> and <paramref name="declines"/>
    /// both give null. <paramref name="cannot"/> says why a variant cannot run the launch (a limit);
    /// <paramref name="declines"/> why a later variant suits it better (a preference, ignored for a named variant).
    /// </summary>
    public T Select(string? name, string launch, Func<T, string?> cannot, Func<T, string?>? declines = null)
    {
        ArgumentNullException.ThrowIfNull(cannot);
        string source = name is null ? $"{ForceEnvironmentVariable}=" : string.Empty;
        name ??= Environment.GetEnvironmentVariable(ForceEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(name))
        {
            var forced = Get(name.Trim());
            var why = cannot(forced);
            return why is null ? forced : throw new NotSupportedException($"{source}{forced.Name} cannot run {launch}: {why}");
        }

        var reasons = new List<string>();
        foreach (var variant in All)
        {
            var why = cannot(variant) ?? declines?.Invoke(variant);
            if (why is null)
            {
                return variant;
            }

            reasons.Add($"{variant.Name}: {why}");
        }

        throw new NotSupportedException($"No {Family} variant can run {launch}. {string.Join("; ", reasons)}");
    }
}
