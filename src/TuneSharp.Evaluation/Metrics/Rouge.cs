// ROUGE-N and ROUGE-L exactly as google-research rouge-score (rouge_scorer.py, tokenize.py), single and multi reference.
using System.Text;

namespace TuneSharp.Evaluation.Metrics;

/// <summary>
/// ROUGE-N (n-gram overlap) and ROUGE-L (longest common subsequence) following rouge-score's <c>RougeScorer</c>
/// without stemming. Argument order is (target, prediction) as in <c>scorer.score(target, prediction)</c>.
/// </summary>
public static class Rouge
{
    /// <summary>rouge-score's <c>tokenize.tokenize</c> (no stemmer) or one of the Korean-friendly splits.</summary>
    public static string[] Tokenize(string text, RougeTokenization tokenization = RougeTokenization.Default)
    {
        var lower = text.ToLowerInvariant();
        switch (tokenization)
        {
            case RougeTokenization.Whitespace:
                return SquadNormalizer.SplitWhitespace(lower);
            case RougeTokenization.Character:
                var chars = new List<string>();
                foreach (var rune in lower.EnumerateRunes())
                    if (!Rune.IsWhiteSpace(rune)) chars.Add(rune.ToString());
                return [.. chars];
            default:
                // re.sub(r"[^a-z0-9]+", " ") then keep tokens matching ^[a-z0-9]+$
                var tokens = new List<string>();
                var sb = new StringBuilder();
                foreach (char c in lower)
                {
                    if (c is >= 'a' and <= 'z' or >= '0' and <= '9') sb.Append(c);
                    else if (sb.Length > 0) { tokens.Add(sb.ToString()); sb.Clear(); }
                }
                if (sb.Length > 0) tokens.Add(sb.ToString());
                return [.. tokens];
        }
    }

    /// <summary>ROUGE-N of one target/prediction pair (<c>_score_ngrams</c>).</summary>
    public static RougeScore N(string target, string prediction, int n, RougeTokenization tokenization = RougeTokenization.Default) =>
        N(Tokenize(target, tokenization), Tokenize(prediction, tokenization), n);

    public static RougeScore N(IReadOnlyList<string> target, IReadOnlyList<string> prediction, int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), "ROUGE-N needs n ≥ 1");
        var t = Ngrams(target, n);
        var p = Ngrams(prediction, n);
        int intersection = 0;
        foreach (var (gram, count) in t) intersection += Math.Min(count, p.GetValueOrDefault(gram));
        int tCount = t.Values.Sum(), pCount = p.Values.Sum();
        return RougeScore.From((double)intersection / Math.Max(pCount, 1), (double)intersection / Math.Max(tCount, 1));
    }

    /// <summary>ROUGE-L of one pair (<c>_score_lcs</c>): zero when either side has no tokens.</summary>
    public static RougeScore L(string target, string prediction, RougeTokenization tokenization = RougeTokenization.Default) =>
        L(Tokenize(target, tokenization), Tokenize(prediction, tokenization));

    public static RougeScore L(IReadOnlyList<string> target, IReadOnlyList<string> prediction)
    {
        if (target.Count == 0 || prediction.Count == 0) return new RougeScore(0, 0, 0);
        int lcs = LcsLength(target, prediction);
        return RougeScore.From((double)lcs / prediction.Count, (double)lcs / target.Count);
    }

    /// <summary>
    /// Best score over several targets, picked by F-measure (rouge-score's <c>score_multi</c>); an empty list scores 0.
    /// </summary>
    public static RougeScore Best(IReadOnlyList<string> targets, string prediction, Func<string, string, RougeScore> score)
    {
        RougeScore best = default;
        bool any = false;
        foreach (var t in targets)
        {
            var s = score(t, prediction);
            if (!any || s.FMeasure > best.FMeasure) { best = s; any = true; }
        }
        return best;
    }

    internal static int LcsLength(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        // One rolling row of the (|a|+1)×(|b|+1) table of _lcs_table.
        var prev = new int[b.Count + 1];
        var cur = new int[b.Count + 1];
        for (int i = 1; i <= a.Count; i++)
        {
            for (int j = 1; j <= b.Count; j++)
                cur[j] = string.Equals(a[i - 1], b[j - 1], StringComparison.Ordinal) ? prev[j - 1] + 1 : Math.Max(prev[j], cur[j - 1]);
            (prev, cur) = (cur, prev);
        }
        return prev[b.Count];
    }

    private static Dictionary<string, int> Ngrams(IReadOnlyList<string> tokens, int n)
    {
        var grams = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i + n <= tokens.Count; i++)
        {
            // Tokens never hold U+0001, so joining with it keys tuples unambiguously.
            var key = n == 1 ? tokens[i] : string.Join('\u0001', tokens.Skip(i).Take(n));
            grams[key] = grams.GetValueOrDefault(key) + 1;
        }
        return grams;
    }
}
