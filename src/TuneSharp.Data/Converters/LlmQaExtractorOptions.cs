// Settings of the transcript → Q/A extractor (OpenAI-compatible endpoint, model, chunking, timeout, failure policy).
namespace TuneSharp.Data.Converters;

public sealed record LlmQaExtractorOptions
{
    /// <summary>Base URL of an OpenAI-compatible API, e.g. http://127.0.0.1:8000/v1.</summary>
    public required string Endpoint { get; init; }

    public string Model { get; init; } = "gpt-4o-mini";

    /// <summary>The API key (sent as a Bearer token, never printed or logged); null for an endpoint without authentication.</summary>
    public string? ApiKey { get; init; }

    /// <summary>The environment variable the key came from, named in auth errors (the key itself never is).</summary>
    public string? ApiKeyEnv { get; init; }

    public string? SystemPrompt { get; init; }

    public double Temperature { get; init; } = 0.2;

    public int ChunkChars { get; init; } = 3000;

    /// <summary>Longest wait for one reply; a stalled endpoint fails the chunk as a network timeout after this.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>
    /// Server or network failures on this many chunks in a row stop the run (the endpoint is down, not the input bad);
    /// an isolated failure skips its chunk. Auth and request errors (401/403/4xx) stop at once.
    /// </summary>
    public int MaxConsecutiveFailures { get; init; } = 3;
}
