// sacrebleu's word tokenizers: 13a (mteval-v13a, the default; tokenizer_13a.py + tokenizer_re.py), none, and char.
using System.Text;
using System.Text.RegularExpressions;

namespace TuneSharp.Evaluation.Metrics;

public static partial class SacreBleuTokenizer
{
    /// <summary>Tokenizes one segment with the named sacrebleu tokenizer ("13a", "none" or "char").</summary>
    public static string Tokenize(string line, string name) => name switch
    {
        "13a" => Tokenize13a(line),
        "none" => line,
        "char" => TokenizeChar(line),
        _ => throw new ArgumentException($"unknown BLEU tokenizer '{name}'; use 13a, none or char"),
    };

    /// <summary>mteval-v13a: unescape a few entities, split punctuation, keep periods/commas inside numbers.</summary>
    public static string Tokenize13a(string line)
    {
        line = line.Replace("<skipped>", "").Replace("-\n", "").Replace("\n", " ");
        if (line.Contains('&'))
            line = line.Replace("&quot;", "\"").Replace("&amp;", "&").Replace("&lt;", "<").Replace("&gt;", ">");
        line = " " + line + " ";
        line = Punctuation().Replace(line, " $1 ");
        line = PeriodCommaAfterNonDigit().Replace(line, "$1 $2 ");
        line = PeriodCommaBeforeNonDigit().Replace(line, " $1 $2");
        line = DashAfterDigit().Replace(line, "$1 $2 ");
        return string.Join(' ', SquadNormalizer.SplitWhitespace(line));
    }

    /// <summary>sacrebleu's TokenizerChar: every non-space character (code point) becomes a token.</summary>
    public static string TokenizeChar(string line)
    {
        var sb = new StringBuilder();
        foreach (var rune in line.EnumerateRunes())
        {
            if (Rune.IsWhiteSpace(rune)) continue;
            if (sb.Length > 0) sb.Append(' ');
            sb.Append(rune.ToString());
        }
        return sb.ToString();
    }

    // Python's [0-9] and [^0-9] are code-point classes; .NET's are the same with RegexOptions.None (no ECMAScript needed
    // because we use explicit ranges, not \d).
    [GeneratedRegex(@"([\{-\~\[-\` -\&\(-\+\:-\@\/])")]
    private static partial Regex Punctuation();

    [GeneratedRegex(@"([^0-9])([\.,])")]
    private static partial Regex PeriodCommaAfterNonDigit();

    [GeneratedRegex(@"([\.,])([^0-9])")]
    private static partial Regex PeriodCommaBeforeNonDigit();

    [GeneratedRegex(@"([0-9])(-)")]
    private static partial Regex DashAfterDigit();
}
