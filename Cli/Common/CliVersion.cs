using System.Reflection;
using ILGPU;

namespace ILGPUInt8.Cli.Common;

/// <summary>Versions printed by --version and recorded in outputs: ours (with the git commit) and ILGPU's.</summary>
public static class CliVersion
{
    /// <summary>The informational version of ilgpu-int8: <c>1.0.0+COMMIT</c> (the SDK appends the git commit it was built from).</summary>
    public static string Informational =>
        typeof(CliVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    /// <summary>The git commit of the build (after the '+'), or null.</summary>
    public static string? Commit => Informational.IndexOf('+', StringComparison.Ordinal) is var i and >= 0 ? Informational[(i + 1)..] : null;

    /// <summary>ILGPU's informational version.</summary>
    public static string Ilgpu =>
        typeof(Context).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(Context).Assembly.GetName().Version?.ToString() ?? "?";
}
