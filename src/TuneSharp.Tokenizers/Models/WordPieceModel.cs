// WordPiece model (BERT; HF tokenizers models/wordpiece): greedy longest-match-first with a continuing-subword prefix.
using TuneSharp.Tokenizers.Internal;

namespace TuneSharp.Tokenizers.Models;

internal sealed class WordPieceModel : TokenizerModel
{
    private readonly Dictionary<string, int> _vocab;
    private readonly string?[] _byId;

    public WordPieceModel(Dictionary<string, int> vocab, string[] byId, string unk, string prefix, int maxChars)
    {
        _vocab = vocab;
        _byId = byId;
        Unk = unk;
        UnkId = vocab.TryGetValue(unk, out var u) ? u : -1;
        Prefix = prefix;
        MaxChars = maxChars;
    }

    public string Unk { get; }
    public int UnkId { get; }
    public string Prefix { get; }
    public int MaxChars { get; }

    public override int VocabSize => _byId.Length;
    public override string? UnkToken => Unk;
    public override IEnumerable<KeyValuePair<string, int>> Vocab => _vocab;
    public override int? TokenToId(string token) => _vocab.TryGetValue(token, out var id) ? id : null;
    public override string? IdToToken(int id) => id >= 0 && id < _byId.Length ? _byId[id] : null;

    public static new WordPieceModel FromJson(JsonNode n)
    {
        var (vocab, byId) = ReadVocab(n.Require("vocab"));
        return new WordPieceModel(vocab, byId, n.OptString("unk_token") ?? "[UNK]", n.OptString("continuing_subword_prefix") ?? "##",
            n.OptInt("max_input_chars_per_word") ?? 100);
    }

    public override void Tokenize(string word, List<int> ids, List<(int Start, int End)>? ranges)
    {
        if (word.Length == 0) return;
        int chars = 0;
        foreach (var _ in word.EnumerateRunes()) chars++;
        if (chars > MaxChars) { AddUnk(word, ids, ranges); return; }
        var outIds = new List<int>();
        var outRanges = new List<(int, int)>();
        int start = 0;
        while (start < word.Length)
        {
            int end = word.Length, found = -1;
            while (start < end)
            {
                var sub = start > 0 ? Prefix + word[start..end] : word[start..end];
                if (_vocab.TryGetValue(sub, out int id)) { found = id; break; }
                end--;
                if (end > start && char.IsLowSurrogate(word[end]) && char.IsHighSurrogate(word[end - 1])) end--;
            }
            if (found < 0) { AddUnk(word, ids, ranges); return; }
            outIds.Add(found);
            outRanges.Add((start, end));
            start = end;
        }
        ids.AddRange(outIds);
        ranges?.AddRange(outRanges);
    }

    private void AddUnk(string word, List<int> ids, List<(int Start, int End)>? ranges)
    {
        if (UnkId < 0) throw new InvalidOperationException($"WordPiece unk token '{Unk}' is not in the vocab");
        ids.Add(UnkId);
        ranges?.Add((0, word.Length));
    }
}
