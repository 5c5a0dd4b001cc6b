using System.CommandLine;
using ILGPUInt8.Cli.Common;

namespace ILGPUInt8.Cli.Commands;

/// <summary>
/// <c>ilgpu-int8 completion [--shell bash|zsh]</c>: prints a shell completion script. Completion itself is
/// System.CommandLine's <c>[suggest:POSITION]</c> directive (commands, options, choices such as --precision's values);
/// the script only asks the tool: <c>eval "$(ilgpu-int8 completion)"</c> in ~/.bashrc, or with --shell zsh in ~/.zshrc.
/// </summary>
public sealed class CompletionCommand : CliCommand
{
    private readonly Option<string> _shell = CliOptions.Choice("--shell", "the shell the script is for", "bash", "bash", "zsh");

    /// <inheritdoc />
    public override string Name => "completion";

    /// <inheritdoc />
    public override string Description => "print a bash or zsh completion script: eval \"$(ilgpu-int8 completion)\"";

    /// <inheritdoc />
    public override int Run(CliInvocation run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var shell = run.Get(_shell);
        var writer = run.Console.Profile.Out.Writer;
        if (shell == "zsh")
        {
            writer.WriteLine("autoload -U +X bashcompinit && bashcompinit");
        }

        writer.WriteLine(BashScript);
        return 0;
    }

    /// <summary>The bash function: the line without the executable name and the cursor position go to [suggest:N].</summary>
    internal const string BashScript = """
        _ilgpu_int8_complete() {
          local line="${COMP_LINE#*[[:space:]]}"
          local pos=$(( COMP_POINT - ${#COMP_LINE} + ${#line} ))
          (( pos < 0 )) && pos=0
          local IFS=$'\n'
          COMPREPLY=( $(compgen -W "$(ilgpu-int8 "[suggest:${pos}]" "${line}" 2>/dev/null)" -- "${COMP_WORDS[COMP_CWORD]}") )
        }
        complete -o default -F _ilgpu_int8_complete ilgpu-int8
        """;
}
