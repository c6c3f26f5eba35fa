// Next-token choice from logits following transformers' logits processors/warpers (generation/logits_process.py).
namespace TuneSharp.Inference;

/// <summary>
/// Applies, in HF order: repetition penalty (RepetitionPenaltyLogitsProcessor), then — when sampling —
/// temperature, top-k, top-p (TopPLogitsWarper: drop the low tail whose cumulative mass ≤ 1 − p, keep ≥ 1),
/// min-p (MinPLogitsWarper: drop p &lt; min_p · p_max), softmax and a categorical draw. Greedy = argmax after the
/// penalty (first index on ties, like torch.argmax).
/// </summary>
public sealed class LogitsSampler
{
    private readonly GenerationOptions _o;
    private readonly Random? _rng;

    public LogitsSampler(GenerationOptions options, int row = 0)
    {
        options.Validate();
        _o = options;
        if (options.Temperature > 0) _rng = new Random(unchecked((options.Seed ?? Random.Shared.Next()) + row));
    }

    /// <summary>Picks the next token; <paramref name="logits"/> (V) is modified in place. <paramref name="seen"/> = prompt + generated ids.</summary>
    public int Next(Span<float> logits, IReadOnlySet<int> seen)
    {
        float rp = _o.RepetitionPenalty;
        if (rp != 1f)
            foreach (int id in seen)
                if ((uint)id < (uint)logits.Length)
                    logits[id] = logits[id] < 0 ? logits[id] * rp : logits[id] / rp;
        if (_rng is null) return ArgMax(logits);

        int v = logits.Length;
        float invT = 1f / _o.Temperature;
        for (int i = 0; i < v; i++) logits[i] *= invT;
        // Candidates sorted by descending logit (stable: lower id first on ties).
        var idx = new int[v];
        for (int i = 0; i < v; i++) idx[i] = i;
        var keys = logits.ToArray();
        Array.Sort(idx, (a, b) => keys[b].CompareTo(keys[a]) is var c && c != 0 ? c : a.CompareTo(b));
        int keep = v;
        if (_o.TopK > 0) keep = Math.Min(keep, _o.TopK);
        // HF top-k keeps every token whose logit ≥ the k-th largest (ties included).
        if (_o.TopK > 0 && keep < v)
        {
            float kth = keys[idx[keep - 1]];
            while (keep < v && keys[idx[keep]] >= kth) keep++;
        }
        var probs = Softmax(keys, idx, keep);
        if (_o.TopP < 1f)
        {
            // Remove the ascending-order prefix whose cumulative probability ≤ 1 − p (always keep the top token).
            double cum = 0;
            int remove = 0;
            for (int j = keep - 1; j >= 1; j--)
            {
                cum += probs[j];
                if (cum <= 1 - _o.TopP) remove++;
                else break;
            }
            keep -= remove;
            probs = Softmax(keys, idx, keep);
        }
        if (_o.MinP > 0f)
        {
            double threshold = _o.MinP * probs[0];
            int k2 = 1;
            while (k2 < keep && probs[k2] >= threshold) k2++;
            keep = k2;
            probs = Softmax(keys, idx, keep);
        }
        double r = _rng.NextDouble(), acc = 0;
        for (int j = 0; j < keep; j++)
        {
            acc += probs[j];
            if (r < acc) return idx[j];
        }
        return idx[keep - 1];
    }

    /// <summary>
    /// OpenAI presence/frequency penalties (as vLLM): logit[j] −= count[j]·frequency + (count[j] &gt; 0)·presence, where
    /// count holds how often each token was generated (the prompt does not count).
    /// </summary>
    public static void ApplyPenalties(Span<float> logits, IReadOnlyDictionary<int, int> generatedCounts, float presence, float frequency)
    {
        if (presence == 0 && frequency == 0) return;
        foreach (var (id, count) in generatedCounts)
            if ((uint)id < (uint)logits.Length && count > 0) logits[id] -= count * frequency + presence;
    }

    public static int ArgMax(ReadOnlySpan<float> x)
    {
        int best = 0;
        for (int i = 1; i < x.Length; i++)
            if (x[i] > x[best]) best = i;
        return best;
    }

    private static double[] Softmax(float[] keys, int[] idx, int keep)
    {
        var p = new double[keep];
        double max = keys[idx[0]], sum = 0;
        for (int j = 0; j < keep; j++) sum += p[j] = Math.Exp(keys[idx[j]] - max);
        for (int j = 0; j < keep; j++) p[j] /= sum;
        return p;
    }
}
