// Builds a Tokenizer from a GGUF file's tokenizer.ggml.* vocabulary, the way llama.cpp's llama-vocab.cpp tokenizes:
// "llama" = SentencePiece BPE by scores + byte fallback, "gpt2" = byte-level BPE by merges with a `pre` regex, "bert" = WPM.
using TuneSharp.Tokenizers.Decoders;
using TuneSharp.Tokenizers.Internal;
using TuneSharp.Tokenizers.Models;
using TuneSharp.Tokenizers.PostProcessors;
using TuneSharp.Tokenizers.PreTokenizers;
using Decoder = TuneSharp.Tokenizers.Decoders.Decoder;

namespace TuneSharp.Tokenizers.Gguf;

internal static class GgufTokenizerBuilder
{
    // llama.cpp llama_token_type values.
    private const int TypeUnknown = 2, TypeControl = 3, TypeUserDefined = 4;

    internal const string Llama3Pattern = @"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    internal const string Qwen2Pattern = @"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    public static Tokenizer Build(GgufFile f)
    {
        var model = f.GetString("tokenizer.ggml.model") ?? throw new GgufFormatException("no tokenizer.ggml.model: this GGUF holds no vocabulary", f.Path);
        var tokens = f.GetArray<string>("tokenizer.ggml.tokens") ?? throw new GgufFormatException("missing tokenizer.ggml.tokens", f.Path);
        var types = f.GetArray<int>("tokenizer.ggml.token_type") ?? Enumerable.Repeat(1, tokens.Length).ToArray();
        if (types.Length != tokens.Length) throw new GgufFormatException($"tokenizer.ggml.token_type has {types.Length} entries for {tokens.Length} tokens", f.Path);
        int Id(string key) => f.GetInt(key) is { } v && v >= 0 && v < tokens.Length ? (int)v : -1;
        int bos = Id("tokenizer.ggml.bos_token_id"), eos = Id("tokenizer.ggml.eos_token_id"), unk = Id("tokenizer.ggml.unknown_token_id"), pad = Id("tokenizer.ggml.padding_token_id");

        var added = new List<AddedToken>();
        for (int i = 0; i < tokens.Length; i++)
            if (types[i] is TypeUnknown or TypeControl or TypeUserDefined && tokens[i].Length > 0)
                added.Add(new AddedToken(i, tokens[i], Special: types[i] != TypeUserDefined));

        TokenizerModel m;
        PreTokenizer? pre;
        Decoder decoder;
        bool addBos, addEos;
        switch (model)
        {
            case "llama":
            {
                var scores = f.GetArray<float>("tokenizer.ggml.scores") ?? new float[tokens.Length];
                m = new SentencePieceBpeModel(tokens, scores, unk);
                bool prefix = f.GetBool("tokenizer.ggml.add_space_prefix") ?? true;
                // llama.cpp prefixes a space to every raw fragment that starts the text or follows a special token.
                pre = new MetaspacePreTokenizer('\u2581', prefix ? PrependScheme.Always : PrependScheme.Never, split: false, prependUnconditionally: true);
                var chain = new List<Decoder> { new ReplaceDecoder(TextPattern.FromLiteral("\u2581"), " "), new ByteFallbackDecoder(), new FuseDecoder() };
                if (prefix) chain.Add(new StripDecoder(' ', 1, 0));
                decoder = new SequenceDecoder(chain.ToArray());
                addBos = f.GetBool("tokenizer.ggml.add_bos_token") ?? true;
                addEos = f.GetBool("tokenizer.ggml.add_eos_token") ?? false;
                break;
            }
            case "gpt2":
            {
                var merges = f.GetArray<string>("tokenizer.ggml.merges") ?? throw new GgufFormatException("missing tokenizer.ggml.merges", f.Path);
                var pairs = new List<(string, string)>(merges.Length);
                for (int i = 0; i < merges.Length; i++)
                {
                    int sp = merges[i].IndexOf(' ', 1);
                    if (sp <= 0) throw new GgufFormatException($"tokenizer.ggml.merges[{i}] '{merges[i]}' is not 'a b'", f.Path);
                    pairs.Add((merges[i][..sp], merges[i][(sp + 1)..]));
                }
                var (vocab, byId) = VocabOf(tokens);
                m = new BpeModel(vocab, byId, pairs, null, null, null, false, false, false,
                    r => new TokenizerFormatException($"merge '{merges[r]}' uses a token missing from the vocab", f.Path, $"tokenizer.ggml.merges[{r}]"));
                var preName = f.GetString("tokenizer.ggml.pre") ?? "default";
                pre = preName switch
                {
                    "default" or "gpt-2" or "gpt2" or "mpt" or "olmo" or "jais" => new ByteLevelPreTokenizer(false, true),
                    "llama3" or "llama-bpe" or "llama-v3" or "falcon3" or "smaug-bpe" => ByteLevelAfter(Llama3Pattern),
                    "qwen2" or "deepseek-r1-qwen" => ByteLevelAfter(Qwen2Pattern),
                    "smollm" or "starcoder" or "refact" or "codeshell" => new SequencePreTokenizer([new DigitsPreTokenizer(true), new ByteLevelPreTokenizer(false, true)]),
                    _ => throw new GgufFormatException($"tokenizer.ggml.pre '{preName}' is not supported", f.Path),
                };
                decoder = new ByteLevelDecoder();
                addBos = f.GetBool("tokenizer.ggml.add_bos_token") ?? false;
                addEos = f.GetBool("tokenizer.ggml.add_eos_token") ?? false;
                break;
            }
            case "bert":
            {
                m = new WordPiecePhantomModel(tokens, unk);
                pre = new WpmPreTokenizer();
                decoder = new SequenceDecoder([new ReplaceDecoder(TextPattern.FromLiteral("\u2581"), " "), new FuseDecoder(), new StripDecoder(' ', 1, 0)]);
                addBos = true;
                addEos = true;
                bos = Id("tokenizer.ggml.cls_token_id") is >= 0 and var cls ? cls : bos;
                eos = Id("tokenizer.ggml.seperator_token_id") is >= 0 and var sep ? sep : eos;
                break;
            }
            default:
                throw new GgufFormatException($"tokenizer.ggml.model '{model}' is not supported (llama, gpt2, bert are)", f.Path);
        }
        var before = addBos && bos >= 0 ? new[] { new[] { bos } } : [];
        var after = addEos && eos >= 0 ? new[] { new[] { eos } } : [];
        var tok = new Tokenizer(null, pre, m, new TemplatePostProcessor(before, after), decoder, added, f.Path);
        tok.SetSpecialTokenNames(bos >= 0 ? tokens[bos] : null, eos >= 0 ? tokens[eos] : null, pad >= 0 ? tokens[pad] : null, unk >= 0 ? tokens[unk] : null);
        return tok;
    }

    private static PreTokenizer ByteLevelAfter(string pattern) =>
        new SequencePreTokenizer([new SplitPreTokenizer(TextPattern.FromRegex(pattern), SplitBehavior.Isolated, false), new ByteLevelPreTokenizer(false, false)]);

    private static (Dictionary<string, int>, string[]) VocabOf(string[] tokens)
    {
        var d = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (int i = 0; i < tokens.Length; i++) d.TryAdd(tokens[i], i);
        return (d, tokens);
    }
}
