// Splits input on added tokens before normalization, leftmost-longest, like HF tokenizers' AddedVocabulary.
using TuneSharp.Tokenizers.Internal;
using TuneSharp.Tokenizers.Normalizers;

namespace TuneSharp.Tokenizers;

/// <summary>
/// Two passes, as in HF: tokens with <c>normalized=false</c> are found in the raw text; each remaining section is
/// normalized and then searched for the <c>normalized=true</c> tokens (whose contents are normalized too).
/// A match honours <c>single_word</c> (not inside a word) and <c>lstrip</c>/<c>rstrip</c> (swallow adjacent whitespace).
/// </summary>
internal sealed class AddedVocabulary
{
    private readonly Dictionary<int, AddedToken> _byId = new();
    private readonly Dictionary<string, AddedToken> _byContent = new(StringComparer.Ordinal);
    private readonly Trie _raw = new();
    private readonly Trie _normalized = new();

    public AddedVocabulary(IEnumerable<AddedToken> tokens, Normalizer? normalizer)
    {
        foreach (var t in tokens)
        {
            _byId[t.Id] = t;
            _byContent[t.Content] = t;
            if (t.Content.Length == 0) continue;
            if (t.Normalized && normalizer != null) _normalized.Add(normalizer.Normalize(t.Content), t);
            else _raw.Add(t.Content, t);
        }
    }

    public IReadOnlyCollection<AddedToken> Tokens => _byId.Values;
    public bool HasNormalized => _normalized.Count > 0;
    public AddedToken? ById(int id) => _byId.GetValueOrDefault(id);
    public AddedToken? ByContent(string s) => _byContent.GetValueOrDefault(s);

    /// <summary>Finds raw-text matches: (start, end, token) with end including any stripped whitespace.</summary>
    public void FindRaw(string text, List<(int Start, int End, AddedToken Token)> result) => Find(_raw, text, result);

    public void FindNormalized(string text, List<(int Start, int End, AddedToken Token)> result) => Find(_normalized, text, result);

    private static void Find(Trie trie, string text, List<(int Start, int End, AddedToken Token)> result)
    {
        if (trie.Count == 0) return;
        int i = 0;
        int lastEnd = 0;
        while (i < text.Length)
        {
            if (!trie.CanStart(text[i])) { i++; continue; }
            var (len, tok) = trie.LongestAt(text, i);
            if (tok == null) { i++; continue; }
            int s = i, e = i + len;
            if (tok.SingleWord && ((s > 0 && IsWordChar(text, s - 1)) || (e < text.Length && IsWordChar(text, e)))) { i++; continue; }
            if (tok.LStrip) while (s > lastEnd && char.IsWhiteSpace(text[s - 1])) s--;
            if (tok.RStrip) while (e < text.Length && char.IsWhiteSpace(text[e])) e++;
            result.Add((s, e, tok));
            lastEnd = e;
            i = e;
        }
    }

    private static bool IsWordChar(string t, int i) => char.IsLetterOrDigit(t[i]) || t[i] == '_' || char.IsSurrogate(t[i]);

    private sealed class Trie
    {
        private readonly Dictionary<(int Node, char C), int> _edges = new();
        private readonly List<AddedToken?> _terminal = [null];
        private readonly bool[] _first = new bool[65536];

        public int Count { get; private set; }

        public void Add(string s, AddedToken t)
        {
            int node = 0;
            foreach (var c in s)
            {
                if (!_edges.TryGetValue((node, c), out int next))
                {
                    next = _terminal.Count;
                    _terminal.Add(null);
                    _edges[(node, c)] = next;
                }
                node = next;
            }
            if (_terminal[node] == null) Count++;
            _terminal[node] ??= t;
            _first[s[0]] = true;
        }

        public bool CanStart(char c) => _first[c];

        public (int Length, AddedToken? Token) LongestAt(string text, int i)
        {
            int node = 0, bestLen = 0;
            AddedToken? best = null;
            for (int j = i; j < text.Length; j++)
            {
                if (!_edges.TryGetValue((node, text[j]), out node)) break;
                if (_terminal[node] is { } t) { best = t; bestLen = j - i + 1; }
            }
            return (bestLen, best);
        }
    }
}
