// Byte-pair-encoding model (Sennrich et al. 2016; HF tokenizers models/bpe/model.rs): rank-ordered merges with a heap, word cache.
using System.Collections.Concurrent;
using System.Text;
using TuneSharp.Tokenizers.Internal;

namespace TuneSharp.Tokenizers.Models;

internal sealed class BpeModel : TokenizerModel
{
    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _vocabSpan;
    private readonly string?[] _byId;
    // (left id, right id) → (rank << 32) | merged id.
    private readonly Dictionary<long, long> _merges;
    private readonly ConcurrentDictionary<string, Word> _cache = new(StringComparer.Ordinal);
    private readonly int[] _byteIds; // id of "<0xXX>" per byte, or -1
    private const int CacheCapacity = 1 << 19;
    private const int CacheMaxWordLength = 256;

    private sealed record Word(int[] Ids, int[] Starts, int[] Ends);

    public BpeModel(Dictionary<string, int> vocab, string[] byId, IReadOnlyList<(string A, string B)> merges, string? unk,
        string? prefix, string? suffix, bool fuseUnk, bool byteFallback, bool ignoreMerges, Func<int, TokenizerFormatException>? mergeError = null)
        : this(vocab, byId, ToIds(vocab, merges, mergeError), unk, prefix, suffix, fuseUnk, byteFallback, ignoreMerges, mergeError)
    {
    }

    private static (int, int)[] ToIds(Dictionary<string, int> vocab, IReadOnlyList<(string A, string B)> merges, Func<int, TokenizerFormatException>? mergeError)
    {
        var ids = new (int, int)[merges.Count];
        for (int r = 0; r < merges.Count; r++)
        {
            var (a, b) = merges[r];
            if (!vocab.TryGetValue(a, out int ia) || !vocab.TryGetValue(b, out int ib))
                throw mergeError?.Invoke(r) ?? new TokenizerFormatException($"merge {r} '{a} {b}' uses a token missing from the vocab");
            ids[r] = (ia, ib);
        }
        return ids;
    }

    /// <param name="merges">Merge rules as (left id, right id), in rank order.</param>
    public BpeModel(Dictionary<string, int> vocab, string?[] byId, (int A, int B)[] merges, string? unk,
        string? prefix, string? suffix, bool fuseUnk, bool byteFallback, bool ignoreMerges, Func<int, TokenizerFormatException>? mergeError = null)
    {
        _vocab = vocab;
        _vocabSpan = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        _byId = byId;
        Unk = unk;
        UnkId = unk != null && vocab.TryGetValue(unk, out var u) ? u : -1;
        Prefix = string.IsNullOrEmpty(prefix) ? null : prefix;
        Suffix = string.IsNullOrEmpty(suffix) ? null : suffix;
        FuseUnk = fuseUnk;
        ByteFallback = byteFallback;
        IgnoreMerges = ignoreMerges;
        _merges = new Dictionary<long, long>(merges.Length, PairKeyComparer.Instance);
        var buf2 = new char[256];
        for (int r = 0; r < merges.Length; r++)
        {
            var (ia, ib) = merges[r];
            string a = byId[ia]!, b = byId[ib]!;
            int skip = Prefix != null && b.StartsWith(Prefix, StringComparison.Ordinal) ? Prefix.Length : 0;
            int len = a.Length + b.Length - skip;
            if (buf2.Length < len) buf2 = new char[len * 2];
            a.CopyTo(buf2);
            b.AsSpan(skip).CopyTo(buf2.AsSpan(a.Length));
            if (!_vocabSpan.TryGetValue(buf2.AsSpan(0, len), out int im))
                throw mergeError?.Invoke(r) ?? new TokenizerFormatException($"merge {r} '{a} {b}' does not produce a vocab token");
            _merges.TryAdd(((long)ia << 32) | (uint)ib, ((long)r << 32) | (uint)im);
        }
        _byteIds = new int[256];
        for (int i = 0; i < 256; i++) _byteIds[i] = vocab.TryGetValue($"<0x{i:X2}>", out var id) ? id : -1;
        FindMetaspaceSplit();
    }

    // SentencePiece-style vocabs (Gemma) run BPE over a whole sentence as one word. When (almost) no token contains a
    // non-"▁" character followed by "▁", no merge can span such a boundary, so the word can be cut there and each part
    // merged (and cached) on its own with an identical result. Words containing one of the rare spanning tokens are
    // merged whole.
    private const char Metaspace = '\u2581';
    private bool _splitAtMetaspace;
    private string[] _spanningTokens = [];

    private void FindMetaspaceSplit()
    {
        var spanning = new List<string>();
        bool any = false;
        foreach (var t in _vocab.Keys)
        {
            int k = t.IndexOf(Metaspace);
            if (k < 0) continue;
            any = true;
            for (int i = Math.Max(1, k); i < t.Length; i++)
                if (t[i] == Metaspace && t[i - 1] != Metaspace) { spanning.Add(t); break; }
            if (spanning.Count > 16) return;
        }
        _splitAtMetaspace = any;
        _spanningTokens = spanning.ToArray();
    }

    private bool CanSplit(string word)
    {
        if (!_splitAtMetaspace || word.Length < 24) return false;
        foreach (var t in _spanningTokens) if (word.Contains(t, StringComparison.Ordinal)) return false;
        return true;
    }

    public string? Unk { get; }
    public int UnkId { get; }
    public string? Prefix { get; }
    public string? Suffix { get; }
    public bool FuseUnk { get; }
    public bool ByteFallback { get; }
    public bool IgnoreMerges { get; }

    public override int VocabSize => _byId.Length;
    public override string? UnkToken => Unk;
    public override IEnumerable<KeyValuePair<string, int>> Vocab => _vocab;
    public override int? TokenToId(string token) => _vocab.TryGetValue(token, out var id) ? id : null;
    public override string? IdToToken(int id) => id >= 0 && id < _byId.Length ? _byId[id] : null;

    public static new BpeModel FromJson(JsonNode n)
    {
        if (n.Get("dropout") is { } d && d.AsDouble() != 0)
            throw new TokenizerFormatException("BPE dropout must be null or 0 for deterministic tokenization", d.File, d.Path);
        var (vocab, byId) = ReadVocab(n.Require("vocab"));
        var mergesNode = n.Get("merges");
        var file = n.File;
        var path = mergesNode?.Path ?? n.Path + ".merges";
        var span = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        var merges = new (int, int)[mergesNode?.Length ?? 0];
        if (mergesNode is { } mn)
        {
            // One reusable char buffer for the lookups: 500K merges would otherwise allocate 1M strings.
            char[] buf = new char[512];
            int i = 0;
            foreach (var e in mn.Element.EnumerateArray())
            {
                merges[i] = ParseMerge(e, vocab, span, ref buf, file, $"{mn.Path}[{i}]");
                i++;
            }
        }
        return new BpeModel(vocab, byId, merges, n.OptString("unk_token"), n.OptString("continuing_subword_prefix"), n.OptString("end_of_word_suffix"),
            n.OptBool("fuse_unk", false), n.OptBool("byte_fallback", false), n.OptBool("ignore_merges", false),
            r => new TokenizerFormatException($"merge {r} does not produce a vocab token", file, $"{path}[{r}]"));
    }

    private static (int, int) ParseMerge(System.Text.Json.JsonElement e, Dictionary<string, int> vocab,
        Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> span, ref char[] buf, string? file, string path)
    {
        if (e.ValueKind == System.Text.Json.JsonValueKind.String)
        {
            var s = e.GetString()!;
            int sp = s.IndexOf(' ');
            if (sp <= 0 || sp == s.Length - 1 || s.IndexOf(' ', sp + 1) >= 0)
                throw new TokenizerFormatException($"merge '{s}' must be two tokens separated by one space", file, path);
            if (!vocab.TryGetValue(s[..sp], out var a) || !vocab.TryGetValue(s[(sp + 1)..], out var b))
                throw new TokenizerFormatException($"merge '{s}' uses a token missing from the vocab", file, path);
            return (a, b);
        }
        if (e.ValueKind == System.Text.Json.JsonValueKind.Array && e.GetArrayLength() == 2
            && e[0].ValueKind == System.Text.Json.JsonValueKind.String && e[1].ValueKind == System.Text.Json.JsonValueKind.String)
            return (Lookup(e[0], "left", span, ref buf, file, path), Lookup(e[1], "right", span, ref buf, file, path));
        throw new TokenizerFormatException("merge must be \"a b\" or [\"a\", \"b\"]", file, path);
    }

    private static int Lookup(System.Text.Json.JsonElement e, string what, Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> span,
        ref char[] buf, string? file, string path)
    {
        // Decode the JSON string into a reusable buffer: 500K merges would otherwise allocate 1M strings.
        var raw = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(e);
        ReadOnlySpan<char> chars;
        if (raw.IndexOf((byte)'\\') < 0)
        {
            var body = raw[1..^1];
            if (buf.Length < body.Length) buf = new char[body.Length * 2];
            int nc = System.Text.Encoding.UTF8.GetChars(body, buf);
            chars = buf.AsSpan(0, nc);
        }
        else chars = e.GetString();
        return span.TryGetValue(chars, out int id) ? id : throw new TokenizerFormatException($"merge {what} token '{chars.ToString()}' is missing from the vocab", file, path);
    }

    public override void Tokenize(string word, List<int> ids, List<(int Start, int End)>? ranges)
    {
        if (word.Length == 0) return;
        if (IgnoreMerges && _vocab.TryGetValue(word, out int whole))
        {
            ids.Add(whole);
            ranges?.Add((0, word.Length));
            return;
        }
        if (CanSplit(word))
        {
            int start = 0;
            for (int i = 1; i <= word.Length; i++)
            {
                if (i < word.Length && !(word[i] == Metaspace && word[i - 1] != Metaspace)) continue;
                int before = ranges?.Count ?? 0;
                var part = word.Substring(start, i - start);
                TokenizeCached(part, ids, ranges);
                if (ranges != null && start > 0)
                    for (int k = before; k < ranges.Count; k++) ranges[k] = (ranges[k].Start + start, ranges[k].End + start);
                start = i;
            }
            return;
        }
        TokenizeCached(word, ids, ranges);
    }

    private void TokenizeCached(string word, List<int> ids, List<(int Start, int End)>? ranges)
    {
        if (!_cache.TryGetValue(word, out var w))
        {
            w = Merge(word);
            if (word.Length < CacheMaxWordLength && _cache.Count < CacheCapacity) _cache.TryAdd(word, w);
        }
        ids.AddRange(w.Ids);
        if (ranges != null) for (int i = 0; i < w.Ids.Length; i++) ranges.Add((w.Starts[i], w.Ends[i]));
    }

    private struct Sym
    {
        public int Id, Start, End, Prev, Next;
    }

    [ThreadStatic] private static Sym[]? _syms;
    [ThreadStatic] private static MinHeap? _heap;

    private Word Merge(string word)
    {
        var syms = _syms;
        if (syms == null || syms.Length < word.Length * 4 + 4) _syms = syms = new Sym[Math.Max(64, word.Length * 4 + 4)];
        int n = 0;
        Span<byte> utf8 = stackalloc byte[4];
        int i = 0;
        bool lastUnk = false;
        while (i < word.Length)
        {
            int len = char.IsHighSurrogate(word[i]) && i + 1 < word.Length && char.IsLowSurrogate(word[i + 1]) ? 2 : 1;
            int id = LookupChar(word, i, len);
            if (id >= 0)
            {
                syms[n++] = new Sym { Id = id, Start = i, End = i + len };
                lastUnk = false;
            }
            else if (ByteFallback && TryBytes(word, i, len, utf8, out int nb))
            {
                for (int k = 0; k < nb; k++) syms[n++] = new Sym { Id = _byteIds[utf8[k]], Start = i, End = i + len };
                lastUnk = false;
            }
            else if (UnkId >= 0)
            {
                if (FuseUnk && lastUnk) syms[n - 1].End = i + len;
                else syms[n++] = new Sym { Id = UnkId, Start = i, End = i + len };
                lastUnk = true;
            }
            i += len;
        }
        for (int k = 0; k < n; k++) { syms[k].Prev = k - 1; syms[k].Next = k + 1 < n ? k + 1 : -1; }

        var heap = _heap ??= new MinHeap();
        heap.Clear();
        for (int k = 0; k + 1 < n; k++)
            if (_merges.TryGetValue(((long)syms[k].Id << 32) | (uint)syms[k + 1].Id, out long m)) heap.Push((m & ~0xFFFFFFFFL) | (uint)k);
        while (heap.Count > 0)
        {
            long top = heap.Pop();
            int pos = (int)(top & 0xFFFFFFFF);
            long rank = top >> 32;
            if (syms[pos].Id < 0) continue;
            int next = syms[pos].Next;
            if (next < 0) continue;
            if (!_merges.TryGetValue(((long)syms[pos].Id << 32) | (uint)syms[next].Id, out long mm) || (mm >> 32) != rank) continue;
            syms[pos].Id = (int)(mm & 0xFFFFFFFF);
            syms[pos].End = syms[next].End;
            int nn = syms[next].Next;
            syms[pos].Next = nn;
            if (nn >= 0) syms[nn].Prev = pos;
            syms[next].Id = -1;
            int prev = syms[pos].Prev;
            if (prev >= 0 && _merges.TryGetValue(((long)syms[prev].Id << 32) | (uint)syms[pos].Id, out long mp)) heap.Push((mp & ~0xFFFFFFFFL) | (uint)prev);
            if (nn >= 0 && _merges.TryGetValue(((long)syms[pos].Id << 32) | (uint)syms[nn].Id, out long mn2)) heap.Push((mn2 & ~0xFFFFFFFFL) | (uint)pos);
        }
        int count = 0;
        for (int k = 0; k >= 0 && k < n; k = syms[k].Next) count++;
        var ids = new int[count];
        var starts = new int[count];
        var ends = new int[count];
        int c = 0;
        for (int k = n > 0 ? 0 : -1; k >= 0; k = syms[k].Next) { ids[c] = syms[k].Id; starts[c] = syms[k].Start; ends[c] = syms[k].End; c++; }
        return new Word(ids, starts, ends);
    }

    private int LookupChar(string word, int i, int len)
    {
        bool first = i == 0, last = i + len == word.Length;
        if ((Prefix == null || first) && (Suffix == null || !last))
            return _vocabSpan.TryGetValue(word.AsSpan(i, len), out int id) ? id : -1;
        var s = string.Concat(Prefix != null && !first ? Prefix : "", word.AsSpan(i, len), Suffix != null && last ? Suffix : "");
        return _vocab.TryGetValue(s, out int id2) ? id2 : -1;
    }

    private bool TryBytes(string word, int i, int len, Span<byte> utf8, out int nb)
    {
        nb = Encoding.UTF8.GetBytes(word.AsSpan(i, len), utf8);
        for (int k = 0; k < nb; k++) if (_byteIds[utf8[k]] < 0) return false;
        return true;
    }
}
