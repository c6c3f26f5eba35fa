// An HTTP-level error with OpenAI's error object fields (status, type, param, code).
using TuneSharp.Inference;
using TuneSharp.Inference.Scheduling;

namespace TuneSharp.Serving;

/// <summary>Answered as {"error": {"message", "type", "param", "code"}} with <see cref="Status"/>.</summary>
public sealed class OpenAiException(int status, string message, string type = "invalid_request_error", string? param = null, string? code = null)
    : TuneSharpException(message)
{
    public int Status { get; } = status;

    public string Type { get; } = type;

    public string? Param { get; } = param;

    public string? Code { get; } = code;

    public override ExitCode ExitCode => ExitCode.Usage;

    public static OpenAiException BadRequest(string message, string? param = null) => new(400, message, "invalid_request_error", param);

    /// <summary>Maps engine errors to HTTP answers.</summary>
    public static OpenAiException From(Exception e) => e switch
    {
        OpenAiException o => o,
        InvalidRequestException r => new(400, r.Message, "invalid_request_error", r.Parameter),
        QueueFullException q when q.ShuttingDown => new(503, q.Message, "server_error", null, "shutting_down"),
        QueueFullException q => new(429, q.Message, "rate_limit_error", null, "queue_full"),
        _ => new(500, "internal error while generating; see the server log", "server_error"),
    };
}
