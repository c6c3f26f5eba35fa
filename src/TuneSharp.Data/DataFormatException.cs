// The one exception type for bad dataset input: it names the file, line and field, and suggests a fix.
namespace TuneSharp.Data;

/// <summary>Thrown for malformed or unusable dataset input; the message is a complete, user-facing paragraph.</summary>
public sealed class DataFormatException : TuneSharpException
{
    public DataFormatException(string message, string? path = null, long line = 0, string? field = null, Exception? inner = null, long row = 0)
        : base(Compose(message, path, line, field, row), inner)
    {
        FilePath = path;
        Line = line;
        Field = field;
        Row = row;
    }

    /// <summary>1-based row (record) number in the file, or 0 when not applicable.</summary>
    public long Row { get; }

    /// <summary>The file the problem is in, when known.</summary>
    public string? FilePath { get; }

    /// <summary>1-based line number, or 0 when not applicable.</summary>
    public long Line { get; }

    /// <summary>The column/field concerned, when known.</summary>
    public string? Field { get; }

    private static string Compose(string message, string? path, long line, string? field, long row)
    {
        var where = path is null ? "" : row > 0 ? RowLocation.Of(path, row, line) + ": " : line > 0 ? $"{path}:{line}: " : $"{path}: ";
        // A message that already names its field (e.g. "data.jsonl: row 3: … needs the field 'output'") keeps its row location first.
        bool named = field is not null && (message.Contains($"'{field}'", StringComparison.Ordinal) || message.Contains(field + "[", StringComparison.Ordinal));
        var what = field is null || named ? "" : $"field '{field}': ";
        return where + what + message;
    }

    public override ExitCode ExitCode => ExitCode.InputFormat;
}
