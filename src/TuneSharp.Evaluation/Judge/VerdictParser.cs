// Parses judge replies: "Rating: [[N]]" (FastChat one_score_pattern, with its [N] backup) and "[[A]]"/"[[B]]"/"[[C]]".
using System.Globalization;
using System.Text.RegularExpressions;

namespace TuneSharp.Evaluation.Judge;

public static partial class VerdictParser
{
    /// <summary>The rating in [min, max], or null. Takes the last [[N]] (a judge may quote the format first).</summary>
    public static double? Score(string reply, int min, int max)
    {
        var matches = Double().Matches(reply);
        if (matches.Count == 0) matches = Single().Matches(reply);
        if (matches.Count == 0) return null;
        var v = double.Parse(matches[^1].Groups[1].Value, CultureInfo.InvariantCulture);
        return v >= min && v <= max ? v : null;
    }

    /// <summary>"A", "B" or "C" (tie) from a pair-v2 reply, or null when it holds none or several different ones.</summary>
    public static string? Pair(string reply)
    {
        bool a = reply.Contains("[[A]]", StringComparison.Ordinal), b = reply.Contains("[[B]]", StringComparison.Ordinal), c = reply.Contains("[[C]]", StringComparison.Ordinal);
        return (a, b, c) switch
        {
            (true, false, false) => "A",
            (false, true, false) => "B",
            (false, false, true) => "C",
            _ => null,
        };
    }

    [GeneratedRegex(@"\[\[(\d+(?:\.\d+)?)\]\]")]
    private static partial Regex Double();

    [GeneratedRegex(@"\[(\d+(?:\.\d+)?)\]")]
    private static partial Regex Single();
}
