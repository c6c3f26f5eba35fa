// A request the engine cannot run as given (bad option, schema, adapter name, prompt too long); the server answers 400.
namespace TuneSharp.Inference;

/// <summary>
/// Thrown for a generation request that is malformed for this model: <see cref="Parameter"/> names the offending
/// field (OpenAI's error "param"), the message says what was wrong and what is accepted.
/// </summary>
public sealed class InvalidRequestException : TuneSharpException
{
    public InvalidRequestException(string message, string? parameter = null, Exception? inner = null) : base(message, inner) => Parameter = parameter;

    /// <summary>The request field at fault (e.g. "response_format"), or null.</summary>
    public string? Parameter { get; }

    public override ExitCode ExitCode => ExitCode.Usage;
}
