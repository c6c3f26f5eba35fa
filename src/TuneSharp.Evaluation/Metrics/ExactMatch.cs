// Exact match with SQuAD normalisation (evaluate-v2.0.py compute_exact), best over the references.
namespace TuneSharp.Evaluation.Metrics;

public static class ExactMatch
{
    /// <summary>1 when the normalised prediction equals the normalised reference, else 0.</summary>
    public static double Score(string prediction, string reference) =>
        SquadNormalizer.Normalize(prediction) == SquadNormalizer.Normalize(reference) ? 1.0 : 0.0;

    /// <summary>Best score over several references (SQuAD takes the max over gold answers).</summary>
    public static double Score(string prediction, IReadOnlyList<string> references) =>
        references.Count == 0 ? 0.0 : references.Max(r => Score(prediction, r));
}
