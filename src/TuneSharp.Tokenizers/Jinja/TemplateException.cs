// A template syntax, runtime or sandbox-budget error, reported with the template's name, the 1-based line and column and a short excerpt of that line.
namespace TuneSharp.Tokenizers.Jinja;

public sealed class TemplateException : TuneSharpException
{
    public TemplateException(string reason, int line, int column, string excerpt, Exception? inner = null, string? templateName = null)
        : base($"{(templateName != null ? templateName + ": " : "")}{reason} (template line {line}, column {column}: {excerpt})", inner)
    {
        TemplateName = templateName;
        Reason = reason;
        Line = line;
        Column = column;
        Excerpt = excerpt;
    }

    /// <summary>Where the template came from (file path, or "FILE chat_template"); null when not known.</summary>
    public string? TemplateName { get; }

    /// <summary>The error without its location.</summary>
    public string Reason { get; }
    public int Line { get; }
    public int Column { get; }
    /// <summary>Up to ~60 characters of the offending template line around the column.</summary>
    public string Excerpt { get; }

    public override ExitCode ExitCode => ExitCode.InputFormat;
}
