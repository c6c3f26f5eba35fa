// chrF / chrF++ exactly as sacrebleu 2.x metrics/chrf.py (+ helpers.py n-gram extraction), corpus and sentence level.
using System.Text;

namespace TuneSharp.Evaluation.Metrics;

/// <summary>
/// Character n-gram F-score (plus word n-grams for chrF++). Per segment the reference with the best F is kept;
/// corpus scores sum the per-order [hyp, ref, match] counts and score once (sacrebleu <c>_aggregate_and_compute</c>).
/// Strings are indexed by Unicode code point, as Python does.
/// </summary>
public sealed class ChrF(ChrFOptions? options = null)
{
    private static readonly HashSet<string> Puncts = [.. "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".Select(c => c.ToString())];

    public ChrFOptions Options { get; } = options ?? new ChrFOptions();

    private int Order => Options.CharOrder + Options.WordOrder;

    public double Corpus(IReadOnlyList<string> hypotheses, IReadOnlyList<IReadOnlyList<string>> references)
    {
        if (hypotheses.Count != references.Count)
            throw new ArgumentException($"{hypotheses.Count} hypotheses but {references.Count} reference sets");
        var sum = new long[3 * Order];
        for (int i = 0; i < hypotheses.Count; i++)
        {
            var s = Segment(hypotheses[i], references[i]);
            for (int k = 0; k < sum.Length; k++) sum[k] += s[k];
        }
        return FScore(sum);
    }

    public double Sentence(string hypothesis, IReadOnlyList<string> references) => FScore(Segment(hypothesis, references));

    /// <summary>[hyp, ref, match] counts per order for the best-scoring reference (<c>_compute_segment_statistics</c>).</summary>
    public long[] Segment(string hypothesis, IReadOnlyList<string> references)
    {
        var hyp = AllNgrams(Preprocess(hypothesis));
        long[] best = new long[3 * Order];
        double bestF = -1.0;
        foreach (var r in references)
        {
            var refGrams = AllNgrams(Preprocess(r));
            var stats = new long[3 * Order];
            for (int i = 0; i < Order; i++)
            {
                var h = hyp[i];
                var rg = refGrams[i];
                long match = 0, hypCount = 0;
                foreach (var (g, c) in h)
                {
                    hypCount += c;
                    if (rg.TryGetValue(g, out int rc)) match += Math.Min(c, rc);
                }
                // sacrebleu: hypothesis n-grams count only when the reference has n-grams of that order.
                stats[3 * i] = rg.Count > 0 ? hypCount : 0;
                stats[3 * i + 1] = rg.Values.Sum();
                stats[3 * i + 2] = match;
            }
            double f = FScore(stats);
            if (f > bestF) { bestF = f; best = stats; }
        }
        return best;
    }

    /// <summary><c>_compute_f_score</c> on the 0–100 scale.</summary>
    public double FScore(IReadOnlyList<long> statistics)
    {
        const double eps = 1e-16;
        double score = 0, avgPrec = 0, avgRec = 0;
        int effective = 0;
        double factor = Options.Beta * Options.Beta;
        for (int i = 0; i < Order; i++)
        {
            long nHyp = statistics[3 * i], nRef = statistics[3 * i + 1], nMatch = statistics[3 * i + 2];
            double prec = nHyp > 0 ? (double)nMatch / nHyp : eps;
            double rec = nRef > 0 ? (double)nMatch / nRef : eps;
            double denom = factor * prec + rec;
            score += denom > 0 ? (1 + factor) * prec * rec / denom : eps;
            if (nHyp > 0 && nRef > 0) { avgPrec += prec; avgRec += rec; effective++; }
        }
        if (Options.EpsSmoothing) return 100 * score / Order;
        if (effective == 0) avgPrec = avgRec = 0;
        else { avgPrec /= effective; avgRec /= effective; }
        if (avgPrec + avgRec != 0) return 100 * ((1 + factor) * avgPrec * avgRec / (factor * avgPrec + avgRec));
        return 0.0;
    }

    private string Preprocess(string s) => Options.Lowercase ? s.ToLowerInvariant() : s;

    private List<Dictionary<string, int>> AllNgrams(string line)
    {
        var result = new List<Dictionary<string, int>>(Order);
        string chars = Options.Whitespace ? line : string.Concat(SquadNormalizer.SplitWhitespace(line));
        var runes = chars.EnumerateRunes().Select(r => r.ToString()).ToArray();
        for (int n = 1; n <= Options.CharOrder; n++)
        {
            var d = new Dictionary<string, int>(StringComparer.Ordinal);
            var sb = new StringBuilder();
            for (int i = 0; i + n <= runes.Length; i++)
            {
                sb.Clear();
                for (int k = 0; k < n; k++) sb.Append(runes[i + k]);
                var key = sb.ToString();
                d[key] = d.GetValueOrDefault(key) + 1;
            }
            result.Add(d);
        }
        if (Options.WordOrder > 0)
        {
            var words = RemovePunctuation(line);
            for (int n = 1; n <= Options.WordOrder; n++)
            {
                var d = new Dictionary<string, int>(StringComparer.Ordinal);
                for (int i = 0; i + n <= words.Count; i++)
                {
                    var key = string.Join(' ', words.Skip(i).Take(n));
                    d[key] = d.GetValueOrDefault(key) + 1;
                }
                result.Add(d);
            }
        }
        return result;
    }

    /// <summary><c>_remove_punctuation</c>: split one leading or trailing ASCII punctuation mark off each word.</summary>
    private static List<string> RemovePunctuation(string sent)
    {
        var tokens = new List<string>();
        foreach (var w in SquadNormalizer.SplitWhitespace(sent))
        {
            var runes = w.EnumerateRunes().Select(r => r.ToString()).ToArray();
            if (runes.Length == 1) { tokens.Add(w); continue; }
            if (Puncts.Contains(runes[^1])) { tokens.Add(string.Concat(runes[..^1])); tokens.Add(runes[^1]); }
            else if (Puncts.Contains(runes[0])) { tokens.Add(runes[0]); tokens.Add(string.Concat(runes[1..])); }
            else tokens.Add(w);
        }
        return tokens;
    }
}
