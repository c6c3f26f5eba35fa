// llama.cpp's WPM tokenizer (llm_tokenizer_wpm): WordPiece over a GGUF vocab where word-initial pieces carry a "▁" prefix
// and continuations are bare; greedy longest match from "▁"+word, the whole word becomes unk if any position fails.
namespace TuneSharp.Tokenizers.Models;

internal sealed class WordPiecePhantomModel : TokenizerModel
{
    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _span;
    private readonly string[] _byId;
    private readonly int _unkId;
    private readonly int _maxLen;

    public WordPiecePhantomModel(string[] tokens, int unkId)
    {
        _byId = tokens;
        _unkId = unkId;
        _vocab = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (int i = 0; i < tokens.Length; i++) _vocab.TryAdd(tokens[i], i);
        _span = _vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        _maxLen = tokens.Length == 0 ? 1 : tokens.Max(t => t.Length);
    }

    public override int VocabSize => _byId.Length;
    public override string? UnkToken => _unkId >= 0 && _unkId < _byId.Length ? _byId[_unkId] : null;
    public override IEnumerable<KeyValuePair<string, int>> Vocab => _vocab;
    public override int? TokenToId(string token) => _vocab.TryGetValue(token, out var id) ? id : null;
    public override string? IdToToken(int id) => id >= 0 && id < _byId.Length ? _byId[id] : null;

    public override void Tokenize(string word, List<int> ids, List<(int Start, int End)>? ranges)
    {
        if (word.Length == 0) return;
        var w = "\u2581" + word;
        int before = ids.Count;
        int n = w.Length;
        for (int i = 0; i < n; i++)
        {
            bool match = false;
            for (int j = Math.Min(n, i + _maxLen + 1); j > i; j--)
            {
                if (_span.TryGetValue(w.AsSpan(i, j - i), out int id))
                {
                    ids.Add(id);
                    ranges?.Add((Math.Max(0, i - 1), j - 1));
                    match = true;
                    i = j - 1;
                    break;
                }
            }
            if (!match)
            {
                if (ranges != null) ranges.RemoveRange(ranges.Count - (ids.Count - before), ids.Count - before);
                ids.RemoveRange(before, ids.Count - before);
                break;
            }
        }
        if (ids.Count == before)
        {
            ids.Add(_unkId);
            ranges?.Add((0, word.Length));
        }
    }
}
