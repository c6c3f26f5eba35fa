// A finished evaluation of one or more models (e.g. base vs tuned), as written to report.json / report.md / items.csv.
using TuneSharp.Evaluation.Judge;

namespace TuneSharp.Evaluation;

public sealed class EvaluationReport
{
    public required IReadOnlyList<string> MetricNames { get; init; }
    public required IReadOnlyList<ModelEvaluation> Models { get; init; }

    /// <summary>Pairwise judge of Models[0] (model_a) vs Models[1] (model_b), when requested.</summary>
    public JudgeSummary? Pairwise { get; set; }

    public DateTimeOffset Created { get; init; } = DateTimeOffset.UtcNow;
}
