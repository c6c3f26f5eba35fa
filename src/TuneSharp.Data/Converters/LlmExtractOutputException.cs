// The llm-extract output cannot be appended to or resumed (a foreign file in the way, an unwritable folder).
namespace TuneSharp.Data.Converters;

public sealed class LlmExtractOutputException(string message, Exception? inner = null) : TuneSharpException(message, inner)
{
    public override ExitCode ExitCode => ExitCode.Output;
}
