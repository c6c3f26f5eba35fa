// Settings of the transcript → Q/A extractor (OpenAI-compatible endpoint, model, chunking).
namespace TuneSharp.Data.Converters;

public sealed record LlmQaExtractorOptions
{
    /// <summary>Base URL of an OpenAI-compatible API, e.g. http://127.0.0.1:8000/v1.</summary>
    public required string Endpoint { get; init; }

    public string Model { get; init; } = "gpt-4o-mini";

    public string? ApiKey { get; init; }

    public string? SystemPrompt { get; init; }

    public double Temperature { get; init; } = 0.2;

    public int ChunkChars { get; init; } = 3000;
}
