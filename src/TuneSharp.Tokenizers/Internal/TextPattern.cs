// The `pattern` object of Split/Replace components: {"String": "..."} (literal) or {"Regex": "..."}.
namespace TuneSharp.Tokenizers.Internal;

internal sealed class TextPattern
{
    private readonly string? _literal;
    private readonly ScalarRegex? _regex;

    private TextPattern(string? literal, ScalarRegex? regex)
    {
        _literal = literal;
        _regex = regex;
    }

    public string? Literal => _literal;

    public static TextPattern FromJson(JsonNode node)
    {
        if (node.Get("String") is { } s) return new TextPattern(s.AsString(), null);
        if (node.Get("Regex") is { } r)
        {
            var pattern = r.AsString();
            try { return new TextPattern(null, new ScalarRegex(pattern)); }
            catch (ArgumentException e) { throw new TokenizerFormatException($"regex '{pattern}' is not supported: {e.Message}", r.File, r.Path, e); }
        }
        throw node.Error("pattern must be {\"String\": ...} or {\"Regex\": ...}");
    }

    public static TextPattern FromLiteral(string s) => new(s, null);
    public static TextPattern FromRegex(string s) => new(null, new ScalarRegex(s));

    public void Matches(string text, List<(int Start, int Length)> result)
    {
        if (_regex != null) { _regex.Matches(text, result); return; }
        var lit = _literal!;
        if (lit.Length == 0) return;
        int i = 0;
        while (true)
        {
            int k = text.IndexOf(lit, i, StringComparison.Ordinal);
            if (k < 0) break;
            result.Add((k, lit.Length));
            i = k + lit.Length;
        }
    }
}
