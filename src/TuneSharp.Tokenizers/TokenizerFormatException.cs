// The exception thrown for malformed or unsupported tokenizer files; names the file and the JSON path of the bad field.
namespace TuneSharp.Tokenizers;

public sealed class TokenizerFormatException : TuneSharpException
{
    public TokenizerFormatException(string message, string? file = null, string? jsonPath = null, Exception? inner = null)
        : base(Compose(message, file, jsonPath), inner)
    {
        File = file;
        JsonPath = jsonPath;
    }

    /// <summary>The file being read, when known.</summary>
    public string? File { get; }

    /// <summary>JSONPath of the offending value, e.g. <c>$.model.merges[12]</c>.</summary>
    public string? JsonPath { get; }

    private static string Compose(string message, string? file, string? path)
    {
        var where = (path, file) switch
        {
            (not null, not null) => $" (at {path} in {file})",
            (not null, null) => $" (at {path})",
            (null, not null) => $" (in {file})",
            _ => "",
        };
        return message + where;
    }

    public override ExitCode ExitCode => ExitCode.InputFormat;
}
