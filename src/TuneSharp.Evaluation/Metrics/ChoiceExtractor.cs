// Multiple-choice answer extraction: finds the chosen letter ((A)–(D) by default) in free text.
using System.Text.RegularExpressions;

namespace TuneSharp.Evaluation.Metrics;

/// <summary>
/// Finds which option a model chose. Tried in order, first hit wins: a whole answer that is just the letter
/// (<c>B</c>, <c>(B)</c>, <c>B.</c>, <c>B)</c>); an explicit verdict (<c>answer is (B)</c>, <c>Answer: B</c>,
/// <c>정답: B</c>); the first parenthesised letter <c>(B)</c>; a leading <c>B.</c>/<c>B)</c>/<c>B:</c>. Letters are
/// matched case-sensitively as capitals so that the English article "a" is never read as option A.
/// </summary>
public sealed partial class ChoiceExtractor(string letters = "ABCD")
{
    public string Letters { get; } = letters;

    /// <summary>The chosen letter, or null when the text names none.</summary>
    public char? Extract(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        string set = Regex.Escape(Letters);
        var t = text.Trim();
        Match m;
        if ((m = Regex.Match(t, $@"^\(?([{set}])\)?[\.\):]?$")).Success) return m.Groups[1].Value[0];
        if ((m = Regex.Match(t, $@"(?:answer\s*(?:is|:)|정답\s*(?:은|는)?\s*:?)\s*\(?([{set}])\b\)?", RegexOptions.IgnoreCase)).Success
            && Letters.Contains(m.Groups[1].Value[0])) return m.Groups[1].Value[0];
        if ((m = Regex.Match(t, $@"\(([{set}])\)")).Success) return m.Groups[1].Value[0];
        if ((m = Regex.Match(t, $@"^([{set}])[\.\):]\s")).Success) return m.Groups[1].Value[0];
        return null;
    }
}
