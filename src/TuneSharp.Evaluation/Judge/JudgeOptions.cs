// Settings of an LLM judge run: endpoint, model, key, protocol, prompts, concurrency, retries, timeout, cache.
namespace TuneSharp.Evaluation.Judge;

public sealed record JudgeOptions
{
    /// <summary>Base URL of an OpenAI-compatible API, e.g. http://127.0.0.1:8000/v1 (requests go to {Endpoint}/chat/completions).</summary>
    public required Uri Endpoint { get; init; }

    public required string Model { get; init; }

    /// <summary>The API key; never printed, logged or written to the cache or report. Null for servers that need none.</summary>
    public string? ApiKey { get; init; }

    public JudgeMode Mode { get; init; } = JudgeMode.Pointwise;

    /// <summary>User prompt template; null = the mode's default (<see cref="JudgePrompts"/>).</summary>
    public string? PromptTemplate { get; init; }

    /// <summary>System prompt; null = the mode's default.</summary>
    public string? SystemPrompt { get; init; }

    public int MaxConcurrency { get; init; } = 4;

    /// <summary>Retries after a 429, 5xx, timeout or connection error (so at most MaxRetries + 1 attempts).</summary>
    public int MaxRetries { get; init; } = 4;

    /// <summary>First backoff delay; doubles per retry (a Retry-After header is not awaited longer than 30 s).</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Per-attempt timeout.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Folder of cached judgments (one JSON file per prompt hash); null = no cache.</summary>
    public string? CacheDir { get; init; }

    public float Temperature { get; init; }
    public int MaxTokens { get; init; } = 1024;

    public (int Min, int Max) ScoreRange => Mode == JudgeMode.Pointwise ? (1, 5) : (1, 10);

    public string EffectiveSystemPrompt => SystemPrompt ?? Mode switch
    {
        JudgeMode.Pointwise => JudgePrompts.TruthfulnessSystem,
        JudgeMode.MtBench => JudgePrompts.MtBenchSystem,
        _ => JudgePrompts.PairwiseSystem,
    };

    public string TemplateFor(JudgeItem item) => PromptTemplate ?? Mode switch
    {
        JudgeMode.Pointwise => JudgePrompts.Truthfulness,
        JudgeMode.MtBench => string.IsNullOrEmpty(item.Reference) ? JudgePrompts.MtBenchSingle : JudgePrompts.MtBenchSingleWithReference,
        _ => JudgePrompts.Pairwise,
    };
}
