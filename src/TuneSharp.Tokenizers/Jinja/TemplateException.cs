// A template syntax or runtime error, reported with the 1-based template line and column and a short excerpt of that line.
namespace TuneSharp.Tokenizers.Jinja;

public sealed class TemplateException : TuneSharpException
{
    public TemplateException(string reason, int line, int column, string excerpt, Exception? inner = null)
        : base($"{reason} (template line {line}, column {column}: {excerpt})", inner)
    {
        Reason = reason;
        Line = line;
        Column = column;
        Excerpt = excerpt;
    }

    /// <summary>The error without its location.</summary>
    public string Reason { get; }
    public int Line { get; }
    public int Column { get; }
    /// <summary>Up to ~60 characters of the offending template line around the column.</summary>
    public string Excerpt { get; }

    public override ExitCode ExitCode => ExitCode.InputFormat;
}
