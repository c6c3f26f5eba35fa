// Why a request to the extraction endpoint failed: the cause as it is, so a dead endpoint is never blamed on the input.
namespace TuneSharp.Data.Converters;

public enum LlmFailureKind
{
    /// <summary>HTTP 401/403: the key is missing, wrong or lacks access. Retrying cannot help; the run stops.</summary>
    Auth,

    /// <summary>Another HTTP 4xx (404 wrong URL, 400 unknown model, 429 rate limit): the request itself is refused.</summary>
    Request,

    /// <summary>HTTP 5xx: the server failed.</summary>
    Server,

    /// <summary>Connection refused, DNS failure, reset, or no reply within the request timeout.</summary>
    Network,
}
