// Thrown for malformed GGUF files; names the file.
namespace TuneSharp.Tensors.IO.Gguf;

public sealed class GgufFormatException(string reason, string? file, Exception? inner = null)
    : TuneSharpException(file is null ? reason : $"{reason} (in {file})", inner)
{
    public string Reason { get; } = reason;
    public string? File { get; } = file;

    public override ExitCode ExitCode => ExitCode.InputFormat;
}
