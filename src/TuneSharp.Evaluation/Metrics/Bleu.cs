// BLEU exactly as sacrebleu 2.x metrics/bleu.py: closest reference length, clipped n-gram matches, smoothing, BP.
namespace TuneSharp.Evaluation.Metrics;

/// <summary>
/// Corpus BLEU sums segment statistics before scoring (sacrebleu <c>corpus_score</c>); sentence BLEU scores one
/// segment (use <see cref="BleuOptions.Sentence"/> for sacrebleu's recommended <c>effective_order=True</c>).
/// References of a segment may be several; an empty reference string counts as a reference of length 0 (as sacrebleu).
/// </summary>
public sealed class Bleu(BleuOptions? options = null)
{
    public BleuOptions Options { get; } = options ?? new BleuOptions();

    public BleuScore Corpus(IReadOnlyList<string> hypotheses, IReadOnlyList<IReadOnlyList<string>> references)
    {
        if (hypotheses.Count != references.Count)
            throw new ArgumentException($"{hypotheses.Count} hypotheses but {references.Count} reference sets");
        var total = new BleuStatistics(Options.MaxNgramOrder);
        for (int i = 0; i < hypotheses.Count; i++) total.Add(Segment(hypotheses[i], references[i]));
        return Compute(total);
    }

    public BleuScore Sentence(string hypothesis, IReadOnlyList<string> references) => Compute(Segment(hypothesis, references));

    /// <summary>Statistics of one segment (<c>_compute_segment_statistics</c>).</summary>
    public BleuStatistics Segment(string hypothesis, IReadOnlyList<string> references)
    {
        int maxOrder = Options.MaxNgramOrder;
        var refNgrams = new Dictionary<string, int>(StringComparer.Ordinal);
        var refLens = new List<int>();
        foreach (var r in references)
        {
            var (grams, len) = WordNgrams(Preprocess(r), maxOrder);
            refLens.Add(len);
            foreach (var (g, c) in grams) refNgrams[g] = Math.Max(refNgrams.GetValueOrDefault(g), c);
        }
        var (hyp, hypLen) = WordNgrams(Preprocess(hypothesis), maxOrder);
        int closestDiff = -1, closestLen = -1;
        foreach (var len in refLens)
        {
            int diff = Math.Abs(hypLen - len);
            if (closestDiff == -1 || diff < closestDiff) { closestDiff = diff; closestLen = len; }
            else if (diff == closestDiff && len < closestLen) closestLen = len;
        }
        var stats = new BleuStatistics(maxOrder) { SysLen = hypLen, RefLen = closestLen };
        foreach (var (g, c) in hyp)
        {
            int n = Order(g) - 1;
            stats.Total[n] += c;
            if (refNgrams.TryGetValue(g, out int rc)) stats.Correct[n] += Math.Min(c, rc);
        }
        return stats;
    }

    /// <summary><c>compute_bleu</c> from summed statistics.</summary>
    public BleuScore Compute(BleuStatistics stats)
    {
        int maxOrder = Options.MaxNgramOrder;
        var correct = (double[])stats.Correct.Clone();
        var total = (double[])stats.Total.Clone();
        double smoothValue = Options.SmoothValue ?? Options.SmoothMethod switch { "floor" => 0.1, "add-k" => 1, _ => 0 };
        double bp = 1.0;
        if (stats.SysLen < stats.RefLen) bp = stats.SysLen > 0 ? Math.Exp(1 - (double)stats.RefLen / stats.SysLen) : 0.0;
        var precisions = new double[maxOrder];
        if (correct.All(c => c == 0)) return new BleuScore(0.0, precisions, bp, stats.SysLen, stats.RefLen);

        double smoothMteval = 1.0;
        int effOrder = maxOrder;
        for (int n = 1; n <= maxOrder; n++)
        {
            if (Options.SmoothMethod == "add-k" && n > 1) { correct[n - 1] += smoothValue; total[n - 1] += smoothValue; }
            if (total[n - 1] == 0) break;
            if (Options.EffectiveOrder) effOrder = n;
            if (correct[n - 1] == 0)
            {
                if (Options.SmoothMethod == "exp") { smoothMteval *= 2; precisions[n - 1] = 100.0 / (smoothMteval * total[n - 1]); }
                else if (Options.SmoothMethod == "floor") precisions[n - 1] = 100.0 * smoothValue / total[n - 1];
            }
            else precisions[n - 1] = 100.0 * correct[n - 1] / total[n - 1];
        }
        double sum = 0;
        for (int i = 0; i < effOrder; i++) sum += precisions[i] == 0.0 ? -9999999999.0 : Math.Log(precisions[i]);
        return new BleuScore(bp * Math.Exp(sum / effOrder), precisions, bp, stats.SysLen, stats.RefLen);
    }

    private string Preprocess(string segment)
    {
        if (Options.Lowercase) segment = segment.ToLowerInvariant();
        return SacreBleuTokenizer.Tokenize(segment.TrimEnd(), Options.Tokenize);
    }

    private static int Order(string gram)
    {
        int n = 1;
        foreach (char c in gram) if (c == ' ') n++;
        return n;
    }

    /// <summary><c>extract_all_word_ngrams</c>: n-grams of orders 1..max keyed by their space-joined tokens.</summary>
    private static (Dictionary<string, int> Grams, int Length) WordNgrams(string line, int maxOrder)
    {
        var tokens = SquadNormalizer.SplitWhitespace(line);
        var grams = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int n = 1; n <= maxOrder; n++)
            for (int i = 0; i + n <= tokens.Length; i++)
            {
                var key = string.Join(' ', tokens, i, n);
                grams[key] = grams.GetValueOrDefault(key) + 1;
            }
        return (grams, tokens.Length);
    }
}
