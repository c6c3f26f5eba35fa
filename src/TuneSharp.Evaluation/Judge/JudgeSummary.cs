// Totals of a judge run: mean score, verdict counts, failures, cache hits, token usage, score histogram / pairwise wins.
namespace TuneSharp.Evaluation.Judge;

public sealed record JudgeSummary
{
    public required string Mode { get; init; }
    public double? Mean { get; init; }
    public int Items { get; init; }
    public int Scored { get; init; }
    public int Unparsable { get; init; }
    public int Failed { get; init; }
    public int CacheHits { get; init; }
    public long PromptTokens { get; init; }
    public long CompletionTokens { get; init; }

    /// <summary>Score → count (pointwise / MT-Bench); integer scores only, fractional ones round half up.</summary>
    public IReadOnlyDictionary<int, int> Histogram { get; init; } = new Dictionary<int, int>();

    /// <summary>Pairwise: "model_a" / "model_b" / "tie" → count.</summary>
    public IReadOnlyDictionary<string, int> Wins { get; init; } = new Dictionary<string, int>();
}
