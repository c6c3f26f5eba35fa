// Token-overlap F1 of SQuAD (evaluate-v2.0.py compute_f1): bag-of-tokens precision/recall after normalisation.
namespace TuneSharp.Evaluation.Metrics;

public static class TokenF1
{
    /// <summary>
    /// F1 of the multiset overlap of normalised tokens. As in SQuAD v2, when either side has no tokens the score is
    /// 1 if both are empty and 0 otherwise.
    /// </summary>
    public static double Score(string prediction, string reference)
    {
        var pred = SquadNormalizer.Tokens(prediction);
        var gold = SquadNormalizer.Tokens(reference);
        if (pred.Length == 0 || gold.Length == 0) return pred.Length == gold.Length ? 1.0 : 0.0;
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var t in gold) counts[t] = counts.GetValueOrDefault(t) + 1;
        int same = 0;
        foreach (var t in pred)
            if (counts.TryGetValue(t, out int c) && c > 0) { same++; counts[t] = c - 1; }
        if (same == 0) return 0.0;
        double precision = (double)same / pred.Length, recall = (double)same / gold.Length;
        return 2 * precision * recall / (precision + recall);
    }

    public static double Score(string prediction, IReadOnlyList<string> references) =>
        references.Count == 0 ? 0.0 : references.Max(r => Score(prediction, r));
}
