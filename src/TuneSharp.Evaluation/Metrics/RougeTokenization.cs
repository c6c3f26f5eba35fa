// How ROUGE splits text into tokens: rouge-score's default tokenizer, or whitespace / character splits for Korean.
namespace TuneSharp.Evaluation.Metrics;

public enum RougeTokenization
{
    /// <summary>rouge-score's DefaultTokenizer (no stemmer): lowercase, non-[a-z0-9] runs become spaces. Drops Hangul entirely.</summary>
    Default,

    /// <summary>Lowercase, then split on whitespace (Python <c>str.split()</c>); keeps Hangul words and punctuation attached.</summary>
    Whitespace,

    /// <summary>Lowercase, drop whitespace, one token per Unicode code point (useful for Korean, where words inflect).</summary>
    Character,
}
