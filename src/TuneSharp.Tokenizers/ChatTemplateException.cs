// Raised when a chat template calls raise_exception(msg): Message is exactly the template's own message; Line/Column locate the call.
namespace TuneSharp.Tokenizers;

public sealed class ChatTemplateException : TuneSharpException
{
    public ChatTemplateException(string message, int line = 0, int column = 0) : base(message)
    {
        Line = line;
        Column = column;
    }

    /// <summary>1-based template line of the raise_exception call (0 when not from a template).</summary>
    public int Line { get; }
    public int Column { get; }

    public override ExitCode ExitCode => ExitCode.InputFormat;
}
