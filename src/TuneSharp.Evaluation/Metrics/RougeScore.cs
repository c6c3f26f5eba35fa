// One ROUGE result, as rouge-score's scoring.Score namedtuple.
namespace TuneSharp.Evaluation.Metrics;

public readonly record struct RougeScore(double Precision, double Recall, double FMeasure)
{
    /// <summary>rouge-score's <c>scoring.fmeasure</c>: harmonic mean, 0 when both are 0.</summary>
    public static RougeScore From(double precision, double recall) =>
        new(precision, recall, precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0.0);
}
