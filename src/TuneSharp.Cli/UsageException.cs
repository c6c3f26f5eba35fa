// A command-line mistake (missing or conflicting flags, a malformed flag value): exit code 2.
namespace TuneSharp.Cli;

/// <summary>Thrown by verbs for flag problems the parser cannot see; the message names the flag and the fix.</summary>
public sealed class UsageException(string message) : TuneSharpException(message)
{
    public override ExitCode ExitCode => ExitCode.Usage;
}
