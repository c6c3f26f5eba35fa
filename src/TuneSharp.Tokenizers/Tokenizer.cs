// The public tokenizer: HF tokenizer.json pipeline (added tokens → normalizer → pre-tokenizer → model → post-processor; decoder).
using System.Text;
using System.Text.Json;
using TuneSharp.Tokenizers.Decoders;
using TuneSharp.Tokenizers.Internal;
using TuneSharp.Tokenizers.Models;
using TuneSharp.Tokenizers.Normalizers;
using TuneSharp.Tokenizers.PostProcessors;
using TuneSharp.Tokenizers.PreTokenizers;
using Decoder = TuneSharp.Tokenizers.Decoders.Decoder;

namespace TuneSharp.Tokenizers;

public sealed class Tokenizer
{
    private Normalizer? _normalizer;
    private PreTokenizer? _preTokenizer;
    private readonly TokenizerModel _model;
    private PostProcessor? _postProcessor;
    private readonly Decoder? _decoder;
    private AddedVocabulary _added;
    private readonly HashSet<string> _specialStrings = new(StringComparer.Ordinal);
    private readonly HashSet<int> _specialIds = new();
    private readonly int _vocabSize;
    // transformers' LlamaTokenizer with legacy=false: "▁" + text, Metaspace(prepend "first"), drop a lone "▁" before a special token.
    private bool _spmNonLegacy;
    private int _spaceTokenId = -1;
    private bool? _addBos, _addEos;

    internal Tokenizer(Normalizer? normalizer, PreTokenizer? preTokenizer, TokenizerModel model, PostProcessor? postProcessor,
        Decoder? decoder, IEnumerable<AddedToken> addedTokens, string? source)
    {
        _normalizer = normalizer;
        _preTokenizer = preTokenizer;
        _model = model;
        _postProcessor = postProcessor;
        _decoder = decoder;
        var added = addedTokens.ToList();
        _added = new AddedVocabulary(added, normalizer);
        int max = model.VocabSize - 1;
        foreach (var t in added)
        {
            if (t.Id > max) max = t.Id;
            if (t.Special) { _specialIds.Add(t.Id); _specialStrings.Add(t.Content); }
        }
        _vocabSize = max + 1;
        Source = source;
        UnkToken = model.UnkToken;
    }

    /// <summary>The file this tokenizer was loaded from, if any.</summary>
    public string? Source { get; }
    public TokenizerConfig? Config { get; private set; }

    public int VocabSize => _vocabSize;
    public string? BosToken { get; private set; }
    public string? EosToken { get; private set; }
    public string? PadToken { get; private set; }
    public string? UnkToken { get; private set; }
    public int? BosTokenId => BosToken is { } t ? TokenToId(t) : null;
    public int? EosTokenId => EosToken is { } t ? TokenToId(t) : null;
    public int? PadTokenId => PadToken is { } t ? TokenToId(t) : null;
    public int? UnkTokenId => UnkToken is { } t ? TokenToId(t) : null;
    public PaddingSide PaddingSide { get; set; } = PaddingSide.Right;
    /// <summary>Apply transformers' clean_up_tokenization in <see cref="Decode"/> (tokenizer_config.json; false for a bare tokenizer.json).</summary>
    public bool CleanUpTokenizationSpaces { get; set; }
    public IReadOnlyCollection<AddedToken> AddedTokens => _added.Tokens;

    /// <summary>Whether encoding with special tokens prepends BOS (tokenizer_config.json add_bos_token; null = the post-processor decides).</summary>
    public bool? AddBosToken { get => _addBos; set { _addBos = value; RebuildTemplate(); } }
    public bool? AddEosToken { get => _addEos; set { _addEos = value; RebuildTemplate(); } }

    // ---------------------------------------------------------------- loading

    /// <summary>Loads a tokenizer.json or a folder (same as <see cref="FromPretrained"/>). GGUF files: TuneSharp.Models.Loading.TokenizerFiles.</summary>
    public static Tokenizer FromFile(string path)
    {
        if (Directory.Exists(path)) return FromPretrained(path);
        if (!File.Exists(path)) throw new TokenizerFormatException("tokenizer file not found; give a tokenizer.json, a .gguf file or a folder holding tokenizer.json", path);
        if (path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) || IsGguf(path))
            throw new TokenizerFormatException("a GGUF file's vocabulary is read by TuneSharp.Models.Loading.TokenizerFiles.FromFile (the tokenizer layer does not read GGUF containers)", path);
        using var doc = TokenizerConfig.ParseFile(path);
        return FromJsonChecked(new JsonNode(doc.RootElement, "$", path));
    }

    /// <summary>Loads a folder holding tokenizer.json and (optionally) tokenizer_config.json, as transformers' AutoTokenizer.</summary>
    public static Tokenizer FromPretrained(string folder)
    {
        var json = Path.Combine(folder, "tokenizer.json");
        if (!File.Exists(json)) throw new TokenizerFormatException("no tokenizer.json in this folder (a .gguf vocabulary is read by TuneSharp.Models.Loading.TokenizerFiles); give the model folder or set tokenizer.path", folder);
        var tok = FromFile(json);
        var cfgPath = Path.Combine(folder, "tokenizer_config.json");
        tok.ApplyConfig(File.Exists(cfgPath) ? TokenizerConfig.FromFile(cfgPath) : new TokenizerConfig());
        return tok;
    }

    /// <summary>Builds the tokenizer llama.cpp would build from this vocabulary (a GGUF file's tokenizer.ggml.* values).</summary>
    public static Tokenizer FromLlamaCppVocabulary(LlamaCpp.LlamaCppVocabulary vocabulary) => LlamaCpp.LlamaCppTokenizerBuilder.Build(vocabulary);

    /// <summary>Parses tokenizer.json text.</summary>
    public static Tokenizer FromJson(string json, string? sourceName = null)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, MaxDepth = 256 }); }
        catch (JsonException e) { throw new TokenizerFormatException($"invalid JSON: {e.Message}", sourceName, "$", e); }
        using (doc) return FromJsonChecked(new JsonNode(doc.RootElement, "$", sourceName));
    }

    /// <summary>System.Text.Json reports a string it cannot decode (a lone "\ud800" escape) only when read: name the file instead of crashing.</summary>
    private static Tokenizer FromJsonChecked(JsonNode root)
    {
        try { return FromJson(root); }
        catch (InvalidOperationException e)
        {
            throw new TokenizerFormatException($"a JSON string cannot be decoded ({e.Message}); the file is damaged", root.File, null, e);
        }
    }

    private static Tokenizer FromJson(JsonNode root)
    {
        if (root.Kind != JsonValueKind.Object) throw root.Error("tokenizer.json must be a JSON object");
        var normalizer = Normalizer.FromJson(root.Get("normalizer"));
        var pre = PreTokenizer.FromJson(root.Get("pre_tokenizer"));
        var model = TokenizerModel.FromJson(root.Require("model"));
        var post = PostProcessor.FromJson(root.Get("post_processor"));
        var decoder = Decoder.FromJson(root.Get("decoder"));
        var added = new List<AddedToken>();
        if (root.Get("added_tokens") is { } at)
            foreach (var t in at.Items())
                added.Add(new AddedToken(t.Require("id").AsInt(), t.Require("content").AsString(), t.OptBool("special", false),
                    t.OptBool("normalized", !t.OptBool("special", false)), t.OptBool("lstrip", false), t.OptBool("rstrip", false), t.OptBool("single_word", false)));
        return new Tokenizer(normalizer, pre, model, post, decoder, added, root.File);
    }

    private static bool IsGguf(string path)
    {
        Span<byte> magic = stackalloc byte[4];
        using var fs = File.OpenRead(path);
        return fs.Read(magic) == 4 && magic.SequenceEqual("GGUF"u8);
    }

    /// <summary>Applies tokenizer_config.json: special token names, add_bos/add_eos, cleanup, padding side, extra special tokens.</summary>
    public void ApplyConfig(TokenizerConfig config)
    {
        Config = config;
        BosToken = config.BosToken ?? BosToken;
        EosToken = config.EosToken ?? EosToken;
        PadToken = config.PadToken ?? PadToken;
        UnkToken = config.UnkToken ?? UnkToken;
        CleanUpTokenizationSpaces = config.CleanUpTokenizationSpaces;
        if (config.PaddingSide is { } ps) PaddingSide = ps;
        foreach (var s in config.AdditionalSpecialTokens) _specialStrings.Add(s);
        var cls = config.TokenizerClass?.EndsWith("Fast", StringComparison.Ordinal) == true ? config.TokenizerClass[..^4] : config.TokenizerClass;
        if (cls == "LlamaTokenizer" && config.Legacy == false)
        {
            _spmNonLegacy = true;
            _normalizer = null;
            _preTokenizer = new MetaspacePreTokenizer('\u2581', PrependScheme.First, split: false);
            _added = new AddedVocabulary(_added.Tokens, null);
            _spaceTokenId = _model.TokenToId("\u2581") ?? -1;
        }
        _addBos = config.AddBosToken;
        _addEos = config.AddEosToken;
        RebuildTemplate();
    }

    /// <summary>Sets the pad token (e.g. Llama-3's "&lt;|finetune_right_pad_id|&gt;"); it must exist in the vocabulary.</summary>
    public void SetPadToken(string token)
    {
        if (TokenToId(token) is null)
            throw new ArgumentException($"pad token '{token}' is not in the vocabulary of {Source ?? "this tokenizer"}", nameof(token));
        PadToken = token;
    }

    private void RebuildTemplate()
    {
        // transformers' Llama/Gemma fast tokenizers rebuild the template from add_bos_token/add_eos_token.
        if (_addBos is null && _addEos is null) return;
        if (_postProcessor is not (null or TemplatePostProcessor or PassThroughPostProcessor)) return;
        var before = new List<int[]>();
        var after = new List<int[]>();
        if (_addBos == true)
        {
            if (BosTokenId is not { } b) throw new InvalidOperationException($"add_bos_token is set but bos_token '{BosToken}' is not in the vocabulary");
            before.Add([b]);
        }
        if (_addEos == true)
        {
            if (EosTokenId is not { } e) throw new InvalidOperationException($"add_eos_token is set but eos_token '{EosToken}' is not in the vocabulary");
            after.Add([e]);
        }
        if (_addBos is null && _postProcessor is TemplatePostProcessor t1) before.AddRange(t1.Before);
        if (_addEos is null && _postProcessor is TemplatePostProcessor t2) after.AddRange(t2.After);
        _postProcessor = new TemplatePostProcessor(before.ToArray(), after.ToArray());
    }

    internal void SetSpecialTokenNames(string? bos, string? eos, string? pad, string? unk)
    {
        BosToken = bos;
        EosToken = eos;
        PadToken = pad;
        UnkToken = unk ?? UnkToken;
    }

    // ---------------------------------------------------------------- vocabulary

    public int? TokenToId(string token)
    {
        if (_added.ByContent(token) is { } a) return a.Id;
        return _model.TokenToId(token);
    }

    public string? IdToToken(int id)
    {
        if (_added.ById(id) is { } a) return a.Content;
        return _model.IdToToken(id);
    }

    public bool IsSpecial(int id) => _specialIds.Contains(id);

    // ---------------------------------------------------------------- encoding

    /// <summary>Encodes text to ids; with <paramref name="addSpecialTokens"/> the post-processor adds BOS/EOS/CLS/SEP.</summary>
    public int[] Encode(string text, bool addSpecialTokens = true)
    {
        var ids = new List<int>();
        EncodeCore(text, ids, null, track: false);
        if (_postProcessor != null && addSpecialTokens)
        {
            var offsets = new List<(int, int)>(new (int, int)[ids.Count]);
            var special = new List<bool>(new bool[ids.Count]);
            _postProcessor.Process(ids, offsets, special, true);
        }
        return ids.ToArray();
    }

    /// <summary>Encodes text and reports each token's character range in <paramref name="text"/>.</summary>
    public TokenEncoding EncodeWithOffsets(string text, bool addSpecialTokens = true)
    {
        var ids = new List<int>();
        var offsets = new List<(int Start, int End)>();
        EncodeCore(text, ids, offsets, track: true);
        var special = new List<bool>(new bool[ids.Count]);
        _postProcessor?.Process(ids, offsets, special, addSpecialTokens);
        return new TokenEncoding(ids.ToArray(), offsets.ToArray(), special.ToArray());
    }

    /// <summary>Encodes several texts, truncates to <paramref name="maxLength"/> and pads to the longest row (or to maxLength).</summary>
    public BatchEncoding EncodeBatch(IReadOnlyList<string> texts, bool addSpecialTokens = true, int? maxLength = null,
        bool padToMaxLength = false, PaddingSide? paddingSide = null, PaddingSide truncationSide = PaddingSide.Right)
    {
        var side = paddingSide ?? PaddingSide;
        var rows = new int[texts.Count][];
        for (int i = 0; i < texts.Count; i++)
        {
            var ids = Encode(texts[i], addSpecialTokens);
            if (maxLength is { } m && ids.Length > m)
                ids = truncationSide == PaddingSide.Right ? ids[..m] : ids[^m..];
            rows[i] = ids;
        }
        int width = rows.Length == 0 ? 0 : rows.Max(r => r.Length);
        if (padToMaxLength && maxLength is { } ml) width = ml;
        bool needsPad = rows.Any(r => r.Length < width);
        int pad = 0;
        if (needsPad)
            pad = PadTokenId ?? throw new InvalidOperationException("padding needs a pad token: this tokenizer has none; call SetPadToken(...) first");
        var input = new int[rows.Length][];
        var mask = new int[rows.Length][];
        var lengths = new int[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            var r = rows[i];
            lengths[i] = r.Length;
            var row = new int[width];
            var mrow = new int[width];
            int off = side == PaddingSide.Left ? width - r.Length : 0;
            Array.Fill(row, pad);
            r.CopyTo(row, off);
            for (int k = 0; k < r.Length; k++) mrow[off + k] = 1;
            input[i] = row;
            mask[i] = mrow;
        }
        return new BatchEncoding(input, mask, lengths);
    }

    [ThreadStatic] private static List<(int Start, int End, AddedToken Token)>? _matchScratch;

    private void EncodeCore(string text, List<int> ids, List<(int Start, int End)>? offsets, bool track)
    {
        text = ReplaceLoneSurrogates(text);
        int shift = 0;
        if (_spmNonLegacy && text.Length > 0)
        {
            text = "\u2581" + text.Replace('\u2581', ' ');
            shift = 1;
        }
        int firstId = ids.Count;
        var matches = _matchScratch ??= new List<(int, int, AddedToken)>();
        matches.Clear();
        _added.FindRaw(text, matches);
        var found = matches.Count == 0 ? [] : matches.ToArray();
        int prev = 0, section = 0;
        foreach (var (s, e, tok) in found)
        {
            if (s > prev) EncodeSection(Piece.FromOriginal(text, prev, s - prev, track), section++, ids, offsets);
            ids.Add(tok.Id);
            offsets?.Add((s, e));
            section++;
            prev = e;
        }
        if (prev < text.Length) EncodeSection(Piece.FromOriginal(text, prev, text.Length - prev, track), section, ids, offsets);
        if (_spmNonLegacy && ids.Count - firstId > 1 && ids[firstId] == _spaceTokenId && _specialIds.Contains(ids[firstId + 1]))
        {
            ids.RemoveAt(firstId);
            offsets?.RemoveAt(firstId);
        }
        if (shift > 0 && offsets != null)
            for (int i = 0; i < offsets.Count; i++) offsets[i] = (Math.Max(0, offsets[i].Start - shift), Math.Max(0, offsets[i].End - shift));
    }

    [ThreadStatic] private static List<Piece>? _pieces;
    [ThreadStatic] private static List<(int Start, int End)>? _ranges;

    private void EncodeSection(Piece piece, int sectionIndex, List<int> ids, List<(int Start, int End)>? offsets)
    {
        if (_normalizer != null) piece = _normalizer.Normalize(piece);
        if (piece.Text.Length == 0) return;
        if (_added.HasNormalized)
        {
            var m = new List<(int Start, int End, AddedToken Token)>();
            _added.FindNormalized(piece.Text, m);
            if (m.Count > 0)
            {
                int prev = 0;
                foreach (var (s, e, tok) in m)
                {
                    if (s > prev) PreTokenizeAndModel(piece.Slice(prev, s - prev), sectionIndex, ids, offsets);
                    ids.Add(tok.Id);
                    offsets?.Add(piece.Range(s, e));
                    prev = e;
                }
                if (prev < piece.Text.Length) PreTokenizeAndModel(piece.Slice(prev, piece.Text.Length - prev), sectionIndex, ids, offsets);
                return;
            }
        }
        PreTokenizeAndModel(piece, sectionIndex, ids, offsets);
    }

    private void PreTokenizeAndModel(Piece piece, int sectionIndex, List<int> ids, List<(int Start, int End)>? offsets)
    {
        var pieces = _pieces ??= new List<Piece>();
        pieces.Clear();
        pieces.Add(piece);
        _preTokenizer?.Apply(pieces, sectionIndex);
        if (offsets == null)
        {
            foreach (var p in pieces) _model.Tokenize(p.Text, ids, null);
            return;
        }
        var ranges = _ranges ??= new List<(int, int)>();
        var local = pieces.ToArray();
        foreach (var p in local)
        {
            ranges.Clear();
            _model.Tokenize(p.Text, ids, ranges);
            foreach (var (a, b) in ranges) offsets.Add(p.Range(a, b));
        }
    }

    internal static string ReplaceLoneSurrogates(string text)
    {
        int i = text.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF');
        if (i < 0) return text;
        StringBuilder? sb = null;
        for (; i < text.Length; i++)
        {
            char c = text[i];
            if (!char.IsSurrogate(c)) continue;
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
            sb ??= new StringBuilder(text);
            sb[i] = '\uFFFD';
        }
        return sb?.ToString() ?? text;
    }

    // ---------------------------------------------------------------- decoding

    /// <summary>Decodes ids to text; unknown ids are skipped.</summary>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false)
    {
        var tokens = new List<string>(ids.Length);
        var isAdded = new List<bool>(ids.Length);
        foreach (var id in ids)
        {
            var added = _added.ById(id);
            var tok = added?.Content ?? _model.IdToToken(id);
            if (tok == null) continue;
            if (skipSpecialTokens && (_specialIds.Contains(id) || _specialStrings.Contains(tok))) continue;
            tokens.Add(tok);
            isAdded.Add(added != null);
        }
        if (tokens.Count == 0) return "";
        var text = _decoder != null ? string.Concat(_decoder.DecodeChain(tokens, isAdded)) : string.Join(" ", tokens);
        return CleanUpTokenizationSpaces ? Decoder.CleanUp(text) : text;
    }

    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false) => Decode(ids.ToArray().AsSpan(), skipSpecialTokens);

    /// <summary>A decoder that takes ids one at a time and emits only complete UTF-8 text.</summary>
    public Streaming.StreamingDecoder CreateStreamingDecoder(bool skipSpecialTokens = false) => new(this, skipSpecialTokens);
}
