// chrF settings with sacrebleu's CHRF() defaults; chrF++ is WordOrder = 2.
namespace TuneSharp.Evaluation.Metrics;

public sealed record ChrFOptions
{
    public int CharOrder { get; init; } = 6;
    public int WordOrder { get; init; }
    public int Beta { get; init; } = 2;
    public bool Lowercase { get; init; }

    /// <summary>Keep whitespace inside character n-grams (sacrebleu <c>whitespace=True</c>).</summary>
    public bool Whitespace { get; init; }

    /// <summary>chrF++.py-style epsilon smoothing instead of sacrebleu's default effective-order averaging.</summary>
    public bool EpsSmoothing { get; init; }

    public static ChrFOptions ChrF { get; } = new();
    public static ChrFOptions ChrFPlusPlus { get; } = new() { WordOrder = 2 };
}
