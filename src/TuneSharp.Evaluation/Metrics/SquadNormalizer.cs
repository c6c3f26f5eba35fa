// SQuAD answer normalisation (the official evaluate-v2.0.py normalize_answer): lower, drop ASCII punctuation, drop articles, squeeze spaces.
using System.Text;
using System.Text.RegularExpressions;

namespace TuneSharp.Evaluation.Metrics;

/// <summary>
/// <c>normalize_answer</c> of SQuAD's evaluation script: <c>lower</c>, remove every character of Python's
/// <c>string.punctuation</c> (ASCII only, so Hangul and CJK punctuation stay), replace the words a/an/the by a space,
/// then split on whitespace and join with one space.
/// </summary>
public static partial class SquadNormalizer
{
    /// <summary>Python's <c>string.punctuation</c>.</summary>
    public const string AsciiPunctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

    public static string Normalize(string text)
    {
        var lower = text.ToLowerInvariant();
        var sb = new StringBuilder(lower.Length);
        foreach (char c in lower)
            if (AsciiPunctuation.IndexOf(c) < 0) sb.Append(c);
        var noArticles = Articles().Replace(sb.ToString(), " ");
        return string.Join(' ', SplitWhitespace(noArticles));
    }

    /// <summary>The normalised answer split into tokens (SQuAD's <c>get_tokens</c>).</summary>
    public static string[] Tokens(string text) => string.IsNullOrEmpty(text) ? [] : SplitWhitespace(Normalize(text));

    /// <summary>Python's <c>str.split()</c> with no argument: runs of Unicode whitespace separate, no empty items.</summary>
    public static string[] SplitWhitespace(string text)
    {
        var parts = new List<string>();
        int start = -1;
        for (int i = 0; i <= text.Length; i++)
        {
            bool ws = i == text.Length || IsPythonWhitespace(text[i]);
            if (ws) { if (start >= 0) { parts.Add(text[start..i]); start = -1; } }
            else if (start < 0) start = i;
        }
        return [.. parts];
    }

    /// <summary>Python's <c>str.isspace</c> for BMP characters (Unicode White_Space plus the \x1c–\x1f separators).</summary>
    public static bool IsPythonWhitespace(char c) => char.IsWhiteSpace(c) || c is '\x1c' or '\x1d' or '\x1e' or '\x1f';

    // Python's re is Unicode-aware by default: \b sees Hangul letters as word characters, as .NET's does.
    [GeneratedRegex(@"\b(a|an|the)\b")]
    private static partial Regex Articles();
}
