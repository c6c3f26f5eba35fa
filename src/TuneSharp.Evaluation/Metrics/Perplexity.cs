// Loss and perplexity helpers: token-weighted mean negative log-likelihood and exp of it (HF's perplexity = exp(eval_loss)).
namespace TuneSharp.Evaluation.Metrics;

public static class Perplexity
{
    /// <summary>exp(mean NLL) in nats per token.</summary>
    public static double FromLoss(double meanLoss) => Math.Exp(meanLoss);

    /// <summary>Mean of per-token negative log-likelihoods (nats).</summary>
    public static double MeanLoss(IReadOnlyList<double> tokenNll) =>
        tokenNll.Count == 0 ? throw new ArgumentException("no tokens to average") : tokenNll.Average();

    /// <summary>Combines per-batch mean losses weighted by their token counts (what a trainer's eval loop reports).</summary>
    public static double WeightedLoss(IReadOnlyList<(double MeanLoss, long Tokens)> batches)
    {
        long tokens = batches.Sum(b => b.Tokens);
        if (tokens == 0) throw new ArgumentException("no tokens to average");
        return batches.Sum(b => b.MeanLoss * b.Tokens) / tokens;
    }
}
