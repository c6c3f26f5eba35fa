// The numbers people check before training: rows, token-length percentiles and histogram, truncation at
// max_seq_length, duplicate rows and the language (script) mix; computed in one streaming pass.
using System.Globalization;
using System.Text;

namespace TuneSharp.Data.Statistics;

public sealed record DatasetStatistics
{
    public required long Rows { get; init; }

    /// <summary>Token count of each row before truncation (what max_seq_length is compared with), in row order.</summary>
    public required int[] TokenLengths { get; init; }

    public required long TotalTokens { get; init; }

    /// <summary>Tokens with a label (trained on), after truncation.</summary>
    public required long TrainedTokens { get; init; }

    /// <summary>The truncation limit compared against; 0 = none.</summary>
    public int MaxSeqLength { get; init; }

    /// <summary>Rows longer than <see cref="MaxSeqLength"/> (losing tokens), and those losing their whole response.</summary>
    public long TruncatedRows { get; init; }

    public long ResponsesTruncatedAway { get; init; }

    /// <summary>Rows identical (all columns) to an earlier row.</summary>
    public long DuplicateRows { get; init; }

    /// <summary>Rows by dominant script of their letters (Korean, Latin, Han, Kana, Cyrillic, other, none).</summary>
    public required IReadOnlyDictionary<string, long> Languages { get; init; }

    /// <summary>Rows whose second script has at least 10% of the letters (e.g. Korean text with English terms).</summary>
    public long MixedScriptRows { get; init; }

    /// <summary>Rows whose response/instruction marker was not found (marker mode).</summary>
    public long MissingMarkers { get; init; }

    public long UnknownCharacters { get; init; }

    /// <summary>Percentile <paramref name="p"/> (0–100) of the token lengths, linearly interpolated (numpy's default).</summary>
    public double Percentile(double p)
    {
        if (TokenLengths.Length == 0) return 0;
        var sorted = TokenLengths.Order().ToArray();
        double rank = p / 100.0 * (sorted.Length - 1);
        int lo = (int)Math.Floor(rank), hi = (int)Math.Ceiling(rank);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }

    /// <summary>The text report `tunesharp data stats` prints.</summary>
    public string ToText()
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(c, $"rows                {Rows}\n");
        sb.Append(c, $"tokens              {TotalTokens} ({(Rows == 0 ? 0 : TotalTokens / (double)Rows):F1} per row), {TrainedTokens} trained\n");
        if (TokenLengths.Length > 0)
            sb.Append(c, $"tokens per row      min {TokenLengths.Min()}  p50 {Percentile(50):0.#}  p90 {Percentile(90):0.#}  p95 {Percentile(95):0.#}  p99 {Percentile(99):0.#}  max {TokenLengths.Max()}\n");
        if (MaxSeqLength > 0)
            sb.Append(c, $"truncated           {TruncatedRows} rows ({Share(TruncatedRows)}) exceed max_seq_length {MaxSeqLength}; {ResponsesTruncatedAway} lose their whole response\n");
        sb.Append(c, $"duplicates          {DuplicateRows} rows ({Share(DuplicateRows)}) repeat an earlier row exactly\n");
        sb.Append("languages           ").Append(string.Join(", ", Languages.OrderByDescending(kv => kv.Value).Select(kv => string.Create(c, $"{kv.Key} {kv.Value} ({Share(kv.Value)})"))));
        sb.Append(c, $"; {MixedScriptRows} rows mix two scripts\n");
        if (MissingMarkers > 0) sb.Append(c, $"marker not found    {MissingMarkers} rows ({Share(MissingMarkers)}) are ignored in the loss\n");
        if (UnknownCharacters > 0) sb.Append(c, $"unknown characters  {UnknownCharacters} characters became the unknown token\n");
        return sb.ToString().TrimEnd('\n');
    }

    private string Share(long n) => Rows == 0 ? "0%" : (100.0 * n / Rows).ToString("0.#", CultureInfo.InvariantCulture) + "%";
}
