// A .NET Regex that matches like the Rust/Oniguruma regexes in tokenizer.json, i.e. over Unicode scalars, not UTF-16 units.
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace TuneSharp.Tokenizers.Internal;

/// <summary>
/// .NET regexes see a surrogate pair as two units, so <c>\p{L}</c> misses astral letters (e.g. U+20000) and a
/// class can split a pair. When the input holds surrogates we match against a proxy string in which every
/// astral scalar is replaced by one BMP character of the same general category, then map matches back.
/// </summary>
internal sealed class ScalarRegex
{
    private readonly Regex _regex;

    public ScalarRegex(string pattern)
    {
        _regex = new Regex(Translate(pattern), RegexOptions.Compiled | RegexOptions.CultureInvariant);
        Pattern = pattern;
    }

    public string Pattern { get; }

    /// <summary>Rust-regex syntax that .NET spells differently.</summary>
    private static string Translate(string p)
    {
        // Possessive quantifiers (?+, *+, ++) become atomic groups are rare in tokenizer.json; `\p{Han}`-style
        // script names need the Is prefix in .NET.
        return p.Replace(@"\p{Han}", @"\p{IsCJKUnifiedIdeographs}");
    }

    /// <summary>Appends (start, length) of each non-empty match, in UTF-16 units of <paramref name="text"/>.</summary>
    public void Matches(string text, List<(int Start, int Length)> result)
    {
        if (!HasSurrogate(text))
        {
            foreach (var m in _regex.EnumerateMatches(text))
                if (m.Length > 0) result.Add((m.Index, m.Length));
            return;
        }
        // proxy[i] stands for text[map[i] .. map[i+1]).
        var proxy = new StringBuilder(text.Length);
        var map = new List<int>(text.Length + 1);
        for (int i = 0; i < text.Length; i++)
        {
            map.Add(i);
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                int cp = char.ConvertToUtf32(text[i], text[i + 1]);
                proxy.Append(Representative(CharUnicodeInfo.GetUnicodeCategory(cp)));
                i++;
            }
            else proxy.Append(text[i]);
        }
        map.Add(text.Length);
        foreach (var m in _regex.EnumerateMatches(proxy.ToString()))
            if (m.Length > 0) result.Add((map[m.Index], map[m.Index + m.Length] - map[m.Index]));
    }

    internal static bool HasSurrogate(string s) => s.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') >= 0;

    /// <summary>A BMP character of each general category (never ASCII, so pattern literals are unaffected).</summary>
    internal static char Representative(UnicodeCategory c) => c switch
    {
        UnicodeCategory.UppercaseLetter => '\u0391',
        UnicodeCategory.LowercaseLetter => '\u03B1',
        UnicodeCategory.TitlecaseLetter => '\u01C5',
        UnicodeCategory.ModifierLetter => '\u02B0',
        UnicodeCategory.OtherLetter => '\u4E00',
        UnicodeCategory.NonSpacingMark => '\u0300',
        UnicodeCategory.SpacingCombiningMark => '\u0903',
        UnicodeCategory.EnclosingMark => '\u20DD',
        UnicodeCategory.DecimalDigitNumber => '\u0660',
        UnicodeCategory.LetterNumber => '\u2160',
        UnicodeCategory.OtherNumber => '\u00B2',
        UnicodeCategory.SpaceSeparator => '\u3000',
        UnicodeCategory.Format => '\u200B',
        UnicodeCategory.PrivateUse => '\uE000',
        UnicodeCategory.ConnectorPunctuation => '\u203F',
        UnicodeCategory.DashPunctuation => '\u2010',
        UnicodeCategory.OpenPunctuation => '\u2045',
        UnicodeCategory.ClosePunctuation => '\u2046',
        UnicodeCategory.InitialQuotePunctuation => '\u00AB',
        UnicodeCategory.FinalQuotePunctuation => '\u00BB',
        UnicodeCategory.OtherPunctuation => '\u00B7',
        UnicodeCategory.MathSymbol => '\u2200',
        UnicodeCategory.CurrencySymbol => '\u20AC',
        UnicodeCategory.ModifierSymbol => '\u02C2',
        UnicodeCategory.OtherSymbol => '\u00A9',
        _ => '\u0378', // unassigned
    };
}
