// Builds a Tokenizer from a llama.cpp vocabulary (a GGUF file's tokenizer.ggml.* values), the way llama-vocab.cpp tokenizes:
// "llama" = SentencePiece BPE by scores + byte fallback, "gpt2" = byte-level BPE by merges with a `pre` regex, "bert" = WPM.
using TuneSharp.Tokenizers.Decoders;
using TuneSharp.Tokenizers.Internal;
using TuneSharp.Tokenizers.Models;
using TuneSharp.Tokenizers.PostProcessors;
using TuneSharp.Tokenizers.PreTokenizers;
using Decoder = TuneSharp.Tokenizers.Decoders.Decoder;

namespace TuneSharp.Tokenizers.LlamaCpp;

internal static class LlamaCppTokenizerBuilder
{
    // llama.cpp llama_token_type values.
    private const int TypeUnknown = 2, TypeControl = 3, TypeUserDefined = 4;

    internal const string Llama3Pattern = @"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    internal const string Qwen2Pattern = @"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    public static Tokenizer Build(LlamaCppVocabulary v)
    {
        var model = v.Model;
        var tokens = v.Tokens;
        var types = v.TokenTypes ?? Enumerable.Repeat(1, tokens.Length).ToArray();
        if (types.Length != tokens.Length) throw new TokenizerFormatException($"tokenizer.ggml.token_type has {types.Length} entries for {tokens.Length} tokens", v.Source);
        int Id(long? id) => id is { } x && x >= 0 && x < tokens.Length ? (int)x : -1;
        int bos = Id(v.BosId), eos = Id(v.EosId), unk = Id(v.UnkId), pad = Id(v.PadId);

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
                var scores = v.Scores ?? new float[tokens.Length];
                if (scores.Length != tokens.Length) throw new TokenizerFormatException($"tokenizer.ggml.scores has {scores.Length} entries for {tokens.Length} tokens", v.Source);
                m = new SentencePieceBpeModel(tokens, scores, unk);
                bool prefix = v.AddSpacePrefix ?? true;
                // llama.cpp prefixes a space to every raw fragment that starts the text or follows a special token.
                pre = new MetaspacePreTokenizer('\u2581', prefix ? PrependScheme.Always : PrependScheme.Never, split: false, prependUnconditionally: true);
                var chain = new List<Decoder> { new ReplaceDecoder(TextPattern.FromLiteral("\u2581"), " "), new ByteFallbackDecoder(), new FuseDecoder() };
                if (prefix) chain.Add(new StripDecoder(' ', 1, 0));
                decoder = new SequenceDecoder(chain.ToArray());
                addBos = v.AddBos ?? true;
                addEos = v.AddEos ?? false;
                break;
            }
            case "gpt2":
            {
                var merges = v.Merges ?? throw new TokenizerFormatException("missing tokenizer.ggml.merges", v.Source);
                var pairs = new List<(string, string)>(merges.Length);
                for (int i = 0; i < merges.Length; i++)
                {
                    int sp = merges[i].IndexOf(' ', 1);
                    if (sp <= 0) throw new TokenizerFormatException($"merge '{merges[i]}' is not 'a b'", v.Source, $"tokenizer.ggml.merges[{i}]");
                    pairs.Add((merges[i][..sp], merges[i][(sp + 1)..]));
                }
                var (vocab, byId) = VocabOf(tokens);
                m = new BpeModel(vocab, byId, pairs, null, null, null, false, false, false,
                    r => new TokenizerFormatException($"merge '{merges[r]}' uses a token missing from the vocab", v.Source, $"tokenizer.ggml.merges[{r}]"));
                var preName = v.Pre ?? "default";
                pre = preName switch
                {
                    "default" or "gpt-2" or "gpt2" or "mpt" or "olmo" or "jais" => new ByteLevelPreTokenizer(false, true),
                    "llama3" or "llama-bpe" or "llama-v3" or "falcon3" or "smaug-bpe" => ByteLevelAfter(Llama3Pattern),
                    "qwen2" or "deepseek-r1-qwen" => ByteLevelAfter(Qwen2Pattern),
                    "smollm" or "starcoder" or "refact" or "codeshell" => new SequencePreTokenizer([new DigitsPreTokenizer(true), new ByteLevelPreTokenizer(false, true)]),
                    _ => throw new TokenizerFormatException($"tokenizer.ggml.pre '{preName}' is not supported", v.Source),
                };
                decoder = new ByteLevelDecoder();
                addBos = v.AddBos ?? false;
                addEos = v.AddEos ?? false;
                break;
            }
            case "bert":
            {
                m = new WordPiecePhantomModel(tokens, unk);
                pre = new WpmPreTokenizer();
                decoder = new SequenceDecoder([new ReplaceDecoder(TextPattern.FromLiteral("\u2581"), " "), new FuseDecoder(), new StripDecoder(' ', 1, 0)]);
                addBos = true;
                addEos = true;
                bos = Id(v.ClsId) is >= 0 and var cls ? cls : bos;
                eos = Id(v.SepId) is >= 0 and var sep ? sep : eos;
                break;
            }
            default:
                throw new TokenizerFormatException($"tokenizer.ggml.model '{model}' is not supported (llama, gpt2, bert are)", v.Source);
        }
        var before = addBos && bos >= 0 ? new[] { new[] { bos } } : [];
        var after = addEos && eos >= 0 ? new[] { new[] { eos } } : [];
        var tok = new Tokenizer(null, pre, m, new TemplatePostProcessor(before, after), decoder, added, v.Source);
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
