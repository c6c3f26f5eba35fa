// The judge part of an evaluation config (eval.yaml `judge:` or the --judge-* flags); the key is named by an env var, never stored.
using TuneSharp.Evaluation.Judge;

namespace TuneSharp.Evaluation;

public sealed record JudgeConfig
{
    public required string Endpoint { get; init; }
    public required string Model { get; init; }

    /// <summary>Environment variable holding the API key (default OPENAI_API_KEY); unset is fine for servers that need no key.</summary>
    public string ApiKeyEnv { get; init; } = "OPENAI_API_KEY";

    public JudgeMode Mode { get; init; } = JudgeMode.Pointwise;
    public string? PromptFile { get; init; }
    public string? SystemPromptFile { get; init; }
    public int Concurrency { get; init; } = 4;
    public int MaxRetries { get; init; } = 4;
    public double TimeoutSeconds { get; init; } = 120;
    public double RetryBaseDelaySeconds { get; init; } = 1;

    /// <summary>Cache folder; null = &lt;output dir&gt;/judge-cache (or none without an output dir).</summary>
    public string? CacheDir { get; init; }

    public static JudgeMode ParseMode(string s) => s.ToLowerInvariant() switch
    {
        "pointwise" or "rubric" or "truthfulness" => JudgeMode.Pointwise,
        "mtbench" or "mt-bench" or "single" => JudgeMode.MtBench,
        "pairwise" or "pair" => JudgeMode.Pairwise,
        _ => throw new EvaluationInputException($"unknown judge mode \"{s}\"; use pointwise, mtbench or pairwise", ExitCode.Usage),
    };

    public JudgeOptions ToOptions(string? outputDir, Func<string, string?> environment)
    {
        if (!Uri.TryCreate(Endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new EvaluationInputException($"judge endpoint \"{Endpoint}\" is not an http(s) URL; give the OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1", ExitCode.Usage);
        string? Read(string? file, string what) => file is null ? null
            : File.Exists(file) ? File.ReadAllText(file) : throw new EvaluationInputException($"{file}: judge {what} file not found");
        return new JudgeOptions
        {
            Endpoint = uri,
            Model = Model,
            ApiKey = environment(ApiKeyEnv),
            Mode = Mode,
            PromptTemplate = Read(PromptFile, "prompt"),
            SystemPrompt = Read(SystemPromptFile, "system prompt"),
            MaxConcurrency = Concurrency,
            MaxRetries = MaxRetries,
            Timeout = TimeSpan.FromSeconds(TimeoutSeconds),
            RetryBaseDelay = TimeSpan.FromSeconds(RetryBaseDelaySeconds),
            CacheDir = CacheDir ?? (outputDir is null ? null : Path.Combine(outputDir, "judge-cache")),
        };
    }
}
