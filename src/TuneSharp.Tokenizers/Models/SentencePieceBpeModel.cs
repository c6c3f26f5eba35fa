// SentencePiece BPE by piece scores (llama.cpp llm_tokenizer_spm / sentencepiece bpe_model.cc): repeatedly merge the
// adjacent pair whose concatenation is a vocab piece with the highest score (ties: leftmost); unknown chars → <0xXX> bytes.
using System.Text;

namespace TuneSharp.Tokenizers.Models;

internal sealed class SentencePieceBpeModel : TokenizerModel
{
    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _span;
    private readonly string[] _byId;
    private readonly float[] _scores;
    private readonly int[] _byteIds = new int[256];
    private readonly int _unkId;

    public SentencePieceBpeModel(string[] tokens, float[] scores, int unkId)
    {
        _byId = tokens;
        _scores = scores;
        _unkId = unkId;
        _vocab = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (int i = 0; i < tokens.Length; i++) _vocab.TryAdd(tokens[i], i);
        _span = _vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        for (int b = 0; b < 256; b++) _byteIds[b] = _vocab.TryGetValue($"<0x{b:X2}>", out var id) ? id : -1;
    }

    public override int VocabSize => _byId.Length;
    public override string? UnkToken => _unkId >= 0 && _unkId < _byId.Length ? _byId[_unkId] : null;
    public override IEnumerable<KeyValuePair<string, int>> Vocab => _vocab;
    public override int? TokenToId(string token) => _vocab.TryGetValue(token, out var id) ? id : null;
    public override string? IdToToken(int id) => id >= 0 && id < _byId.Length ? _byId[id] : null;

    public override void Tokenize(string word, List<int> ids, List<(int Start, int End)>? ranges)
    {
        int n = word.Length;
        if (n == 0) return;
        // Symbols are substrings [start, end) of word, linked in a list.
        var start = new List<int>();
        var end = new List<int>();
        for (int i = 0; i < n;)
        {
            int len = char.IsHighSurrogate(word[i]) && i + 1 < n && char.IsLowSurrogate(word[i + 1]) ? 2 : 1;
            start.Add(i);
            end.Add(i + len);
            i += len;
        }
        int m = start.Count;
        var prev = new int[m];
        var next = new int[m];
        var alive = new bool[m];
        for (int i = 0; i < m; i++) { prev[i] = i - 1; next[i] = i + 1 < m ? i + 1 : -1; alive[i] = true; }
        // Max-heap on (score, -left): PriorityQueue is a min-heap, so negate the score.
        var queue = new PriorityQueue<(int Left, int Right, int Len), (float, int)>();
        void TryAdd(int l, int r)
        {
            if (l < 0 || r < 0) return;
            if (_span.TryGetValue(word.AsSpan(start[l], end[r] - start[l]), out int id))
                queue.Enqueue((l, r, end[r] - start[l]), (-_scores[id], l));
        }
        for (int i = 0; i + 1 < m; i++) TryAdd(i, i + 1);
        while (queue.Count > 0)
        {
            var (l, r, len) = queue.Dequeue();
            if (!alive[l] || !alive[r] || next[l] != r || end[r] - start[l] != len) continue;
            end[l] = end[r];
            alive[r] = false;
            next[l] = next[r];
            if (next[r] >= 0) prev[next[r]] = l;
            TryAdd(prev[l], l);
            TryAdd(l, next[l]);
        }
        Span<byte> buf = stackalloc byte[4];
        for (int i = 0; i >= 0 && i < m; i = next[i])
        {
            var piece = word.AsSpan(start[i], end[i] - start[i]);
            if (_span.TryGetValue(piece, out int id)) { ids.Add(id); ranges?.Add((start[i], end[i])); continue; }
            int nb = Encoding.UTF8.GetBytes(piece, buf);
            bool allBytes = true;
            for (int k = 0; k < nb; k++) if (_byteIds[buf[k]] < 0) allBytes = false;
            if (allBytes) for (int k = 0; k < nb; k++) { ids.Add(_byteIds[buf[k]]); ranges?.Add((start[i], end[i])); }
            else if (_unkId >= 0) { ids.Add(_unkId); ranges?.Add((start[i], end[i])); }
        }
    }
}
