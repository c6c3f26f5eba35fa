// The one exception base of TuneSharp: every error a user can cause derives from it and carries its exit code.
namespace TuneSharp;

/// <summary>
/// Base of every TuneSharp error meant for a person: the message names the file, line or key and a fix. The CLI's
/// single handler prints <see cref="Exception.Message"/> (no stack trace) and exits with <see cref="ExitCode"/>.
/// </summary>
public abstract class TuneSharpException : Exception
{
    protected TuneSharpException(string message, Exception? inner = null) : base(message, inner) { }

    /// <summary>The process exit code the CLI uses for this error.</summary>
    public abstract ExitCode ExitCode { get; }
}
