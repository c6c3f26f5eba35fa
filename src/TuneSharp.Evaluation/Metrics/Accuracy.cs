// Accuracy: multiple-choice letters compared when the reference is an option letter, else SQuAD-normalised exact match.
namespace TuneSharp.Evaluation.Metrics;

public static class Accuracy
{
    private static readonly ChoiceExtractor Default = new();

    /// <summary>
    /// 1 or 0. When the reference itself is an option (<c>B</c>, <c>(B)</c>), the letter extracted from the prediction
    /// must equal it; otherwise the answer must match exactly after SQuAD normalisation.
    /// </summary>
    public static double Score(string prediction, string reference, ChoiceExtractor? choices = null)
    {
        choices ??= Default;
        var trimmed = reference.Trim();
        if (trimmed.Length is >= 1 and <= 4 && choices.Extract(trimmed) is { } want)
            return choices.Extract(prediction) == want ? 1.0 : 0.0;
        return ExactMatch.Score(prediction, reference);
    }

    public static double Score(string prediction, IReadOnlyList<string> references, ChoiceExtractor? choices = null) =>
        references.Count == 0 ? 0.0 : references.Max(r => Score(prediction, r, choices));
}
