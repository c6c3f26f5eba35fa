// The evaluation of one model's predictions: corpus metric values, per-row values, judge totals.
using TuneSharp.Evaluation.Judge;

namespace TuneSharp.Evaluation;

public sealed class ModelEvaluation
{
    public required string Name { get; init; }
    public string? Source { get; init; }
    public required IReadOnlyList<PredictionRow> Rows { get; init; }

    /// <summary>Metric name → corpus value (means of per-row values; BLEU/chrF from summed statistics; judge_mean).</summary>
    public Dictionary<string, double> Metrics { get; } = new(StringComparer.Ordinal);

    /// <summary>Per row: metric name → value (null = not computable for that row, e.g. an unparsable judge reply).</summary>
    public required Dictionary<string, double?>[] Items { get; init; }

    /// <summary>The judge's reply per row (pointwise / MT-Bench), for items.csv.</summary>
    public string?[]? JudgeReplies { get; set; }

    public JudgeSummary? Judge { get; set; }
}
