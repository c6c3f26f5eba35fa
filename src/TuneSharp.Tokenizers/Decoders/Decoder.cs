// Base of the tokenizer.json `decoder` components (HF decoders/*.rs): a chain that rewrites the token strings.
using TuneSharp.Tokenizers.Internal;

namespace TuneSharp.Tokenizers.Decoders;

internal abstract class Decoder
{
    /// <summary>Rewrites the token strings; <paramref name="isAdded"/> flags added tokens (kept verbatim by ByteLevel).</summary>
    public abstract List<string> DecodeChain(List<string> tokens, List<bool> isAdded);

    public static Decoder? FromJson(JsonNode? node)
    {
        if (node is not { } n) return null;
        var type = n.TypeName("decoder");
        return type switch
        {
            "Sequence" => new SequenceDecoder(n.Require("decoders").Items().Select(x => FromJson(x)!).ToArray()),
            "ByteLevel" => new ByteLevelDecoder(),
            "Metaspace" => new MetaspaceDecoder((n.OptString("replacement") ?? "\u2581")[0],
                n.OptString("prepend_scheme") is { } ps ? ps != "never" : n.OptBool("add_prefix_space", true)),
            "Replace" => new ReplaceDecoder(TextPattern.FromJson(n.Require("pattern")), n.Require("content").AsString()),
            "ByteFallback" => new ByteFallbackDecoder(),
            "Fuse" => new FuseDecoder(),
            "Strip" => new StripDecoder(n.Require("content").AsString()[0], n.OptInt("start") ?? 0, n.OptInt("stop") ?? 0),
            "WordPiece" => new WordPieceDecoder(n.OptString("prefix") ?? "##", n.OptBool("cleanup", true)),
            "BPEDecoder" => new BpeDecoder(n.OptString("suffix") ?? "</w>"),
            _ => throw new TokenizerFormatException($"decoder type '{type}' is not supported", n.File, n.Path),
        };
    }

    /// <summary>transformers' clean_up_tokenization: removes spaces before punctuation and in English contractions.</summary>
    internal static string CleanUp(string s)
    {
        if (s.IndexOf(' ') < 0) return s;
        return s.Replace(" .", ".").Replace(" ?", "?").Replace(" !", "!").Replace(" ,", ",").Replace(" ' ", "'")
            .Replace(" n't", "n't").Replace(" 'm", "'m").Replace(" 's", "'s").Replace(" 've", "'ve").Replace(" 're", "'re");
    }
}
