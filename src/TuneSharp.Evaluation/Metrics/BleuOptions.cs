// BLEU settings with sacrebleu's defaults (BLEU(): 13a, exp smoothing, mixed case, 4-grams, no effective order).
namespace TuneSharp.Evaluation.Metrics;

public sealed record BleuOptions
{
    public string Tokenize { get; init; } = "13a";
    public bool Lowercase { get; init; }

    /// <summary>"exp" (default), "none", "floor" or "add-k".</summary>
    public string SmoothMethod { get; init; } = "exp";

    /// <summary>Value for floor (default 0.1) and add-k (default 1).</summary>
    public double? SmoothValue { get; init; }

    public int MaxNgramOrder { get; init; } = 4;
    public bool EffectiveOrder { get; init; }

    /// <summary>sacrebleu's recommended sentence-level settings: <c>effective_order=True</c>.</summary>
    public static BleuOptions Sentence { get; } = new() { EffectiveOrder = true };
}
