// What an evaluation computes: metric names, ROUGE tokenization, the SemScore encoder, the judge settings.
using TuneSharp.Evaluation.Judge;
using TuneSharp.Evaluation.Metrics;
using TuneSharp.Models.Encoders;

namespace TuneSharp.Evaluation;

public sealed record EvaluationOptions
{
    public required IReadOnlyList<string> Metrics { get; init; }
    public RougeTokenization RougeTokenization { get; init; } = RougeTokenization.Default;

    /// <summary>Needed for "semscore".</summary>
    public SentenceEncoder? Encoder { get; init; }

    /// <summary>Needed for "judge". Pairwise mode compares the first two models of a run.</summary>
    public JudgeOptions? Judge { get; init; }

    public int EmbeddingBatchSize { get; init; } = 32;
}
