// The one exception type for bad dataset input: it names the file, line and field, and suggests a fix.
namespace TuneSharp.Data;

/// <summary>Thrown for malformed or unusable dataset input; the message is a complete, user-facing paragraph.</summary>
public sealed class DataFormatException : TuneSharpException
{
    public DataFormatException(string message, string? path = null, long line = 0, string? field = null, Exception? inner = null)
        : base(Compose(message, path, line, field), inner)
    {
        FilePath = path;
        Line = line;
        Field = field;
    }

    /// <summary>The file the problem is in, when known.</summary>
    public string? FilePath { get; }

    /// <summary>1-based line number, or 0 when not applicable.</summary>
    public long Line { get; }

    /// <summary>The column/field concerned, when known.</summary>
    public string? Field { get; }

    private static string Compose(string message, string? path, long line, string? field)
    {
        var where = path is null ? "" : line > 0 ? $"{path}:{line}: " : $"{path}: ";
        var what = field is null ? "" : $"field '{field}': ";
        return where + what + message;
    }

    public override ExitCode ExitCode => ExitCode.InputFormat;
}
