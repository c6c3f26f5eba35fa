// Errors loading a sentence-transformers folder or encoder checkpoint; the message names the file and a fix.
namespace TuneSharp.Models.Encoders;

public sealed class EncoderLoadException(string message, Exception? inner = null) : TuneSharpException(message, inner)
{
    public override ExitCode ExitCode => ExitCode.InputFormat;
}
