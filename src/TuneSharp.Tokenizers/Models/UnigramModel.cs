// Unigram language-model tokenizer (Kudo 2018; HF tokenizers models/unigram): Viterbi best segmentation by piece log-probabilities.
using System.Text;
using TuneSharp.Tokenizers.Internal;

namespace TuneSharp.Tokenizers.Models;

internal sealed class UnigramModel : TokenizerModel
{
    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _vocabSpan;
    private readonly string[] _byId;
    private readonly double[] _scores;
    private readonly int _maxPieceLength;
    private readonly double _unkScore;
    private readonly int[] _byteIds;

    public UnigramModel(string[] pieces, double[] scores, int? unkId, bool byteFallback)
    {
        _byId = pieces;
        _scores = scores;
        _vocab = new Dictionary<string, int>(pieces.Length, StringComparer.Ordinal);
        for (int i = 0; i < pieces.Length; i++) _vocab.TryAdd(pieces[i], i);
        _vocabSpan = _vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        _maxPieceLength = pieces.Length == 0 ? 1 : pieces.Max(p => p.Length);
        UnkId = unkId ?? -1;
        ByteFallback = byteFallback;
        _unkScore = (scores.Length == 0 ? 0 : scores.Min()) - 10.0;
        _byteIds = new int[256];
        for (int i = 0; i < 256; i++) _byteIds[i] = _vocab.TryGetValue($"<0x{i:X2}>", out var id) ? id : -1;
    }

    public int UnkId { get; }
    public bool ByteFallback { get; }
    public override int VocabSize => _byId.Length;
    public override string? UnkToken => UnkId >= 0 ? _byId[UnkId] : null;
    public override IEnumerable<KeyValuePair<string, int>> Vocab => _vocab;
    public override int? TokenToId(string token) => _vocab.TryGetValue(token, out var id) ? id : null;
    public override string? IdToToken(int id) => id >= 0 && id < _byId.Length ? _byId[id] : null;

    public static new UnigramModel FromJson(JsonNode n)
    {
        var v = n.Require("vocab");
        var pieces = new string[v.Length];
        var scores = new double[v.Length];
        int i = 0;
        foreach (var item in v.Items())
        {
            if (item.Length != 2) throw item.Error("Unigram vocab entries must be [piece, score]");
            pieces[i] = item.At(0).AsString();
            scores[i] = item.At(1).AsDouble();
            i++;
        }
        return new UnigramModel(pieces, scores, n.OptInt("unk_id"), n.OptBool("byte_fallback", false));
    }

    public override void Tokenize(string word, List<int> ids, List<(int Start, int End)>? ranges)
    {
        int n = word.Length;
        if (n == 0) return;
        // best[i]: best score of a segmentation of word[..i]; back[i]: (start, id) of its last piece.
        var best = new double[n + 1];
        var backStart = new int[n + 1];
        var backId = new int[n + 1];
        Array.Fill(best, double.NegativeInfinity);
        best[0] = 0;
        for (int s = 0; s < n; s++)
        {
            if (double.IsNegativeInfinity(best[s]) || char.IsLowSurrogate(word[s]) && s > 0 && char.IsHighSurrogate(word[s - 1])) continue;
            int charLen = char.IsHighSurrogate(word[s]) && s + 1 < n ? 2 : 1;
            bool single = false;
            for (int len = 1; len <= Math.Min(_maxPieceLength, n - s); len++)
            {
                if (s + len < n && char.IsLowSurrogate(word[s + len]) && char.IsHighSurrogate(word[s + len - 1])) continue;
                if (!_vocabSpan.TryGetValue(word.AsSpan(s, len), out int id)) continue;
                if (len == charLen) single = true;
                double sc = best[s] + (id == UnkId ? _unkScore : _scores[id]);
                if (sc > best[s + len]) { best[s + len] = sc; backStart[s + len] = s; backId[s + len] = id; }
            }
            if (!single)
            {
                double sc = best[s] + _unkScore;
                if (sc > best[s + charLen]) { best[s + charLen] = sc; backStart[s + charLen] = s; backId[s + charLen] = -1; }
            }
        }
        var segs = new List<(int Start, int End, int Id)>();
        for (int e = n; e > 0; e = backStart[e]) segs.Add((backStart[e], e, backId[e]));
        segs.Reverse();
        int lastUnkAt = -2;
        foreach (var (s, e, id) in segs)
        {
            if (id >= 0 && id != UnkId) { ids.Add(id); ranges?.Add((s, e)); continue; }
            if (ByteFallback)
            {
                var bytes = Encoding.UTF8.GetBytes(word[s..e]);
                if (bytes.All(b => _byteIds[b] >= 0))
                {
                    foreach (var b in bytes) { ids.Add(_byteIds[b]); ranges?.Add((s, e)); }
                    continue;
                }
            }
            if (UnkId < 0) throw new InvalidOperationException("Unigram model has no unk_id but the input has unknown characters");
            // Unknown runs are fused into one unk token, as in HF.
            if (lastUnkAt == ids.Count - 1 && ids.Count > 0 && ids[^1] == UnkId) { if (ranges != null) ranges[^1] = (ranges[^1].Start, e); }
            else { ids.Add(UnkId); ranges?.Add((s, e)); }
            lastUnkAt = ids.Count - 1;
        }
    }
}
