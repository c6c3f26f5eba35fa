// The extraction endpoint could not be used (auth, server, network); names the cause and keeps what was already written.
namespace TuneSharp.Data.Converters;

public sealed class LlmEndpointException(LlmFailureKind kind, string message, Exception? inner = null) : TuneSharpException(message, inner)
{
    public LlmFailureKind Kind { get; } = kind;

    public override ExitCode ExitCode => ExitCode.External;
}
