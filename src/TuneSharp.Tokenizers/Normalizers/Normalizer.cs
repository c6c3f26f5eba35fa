// Base of the tokenizer.json `normalizer` components (HF tokenizers normalizers/*.rs) and the factory reading them.
using TuneSharp.Tokenizers.Internal;

namespace TuneSharp.Tokenizers.Normalizers;

internal abstract class Normalizer
{
    /// <summary>Returns the normalized piece; alignment is carried when <paramref name="p"/> is tracked.</summary>
    public abstract Piece Normalize(Piece p);

    public string Normalize(string s) => Normalize(new Piece(s, null, null)).Text;

    public static Normalizer? FromJson(JsonNode? node)
    {
        if (node is not { } n) return null;
        var type = n.TypeName("normalizer");
        return type switch
        {
            "Sequence" => new SequenceNormalizer(n.Require("normalizers").Items().Select(x => FromJson(x)!).ToArray()),
            "NFC" => new UnicodeFormNormalizer(System.Text.NormalizationForm.FormC),
            "NFD" => new UnicodeFormNormalizer(System.Text.NormalizationForm.FormD),
            "NFKC" => new UnicodeFormNormalizer(System.Text.NormalizationForm.FormKC),
            "NFKD" => new UnicodeFormNormalizer(System.Text.NormalizationForm.FormKD),
            "Lowercase" => new LowercaseNormalizer(),
            "Strip" => new StripNormalizer(n.OptBool("strip_left", true), n.OptBool("strip_right", true)),
            "StripAccents" => new StripAccentsNormalizer(),
            "Replace" => new ReplaceNormalizer(TextPattern.FromJson(n.Require("pattern")), n.Require("content").AsString()),
            "Prepend" => new PrependNormalizer(n.Require("prepend").AsString()),
            "BertNormalizer" => new BertNormalizer(n.OptBool("clean_text", true), n.OptBool("handle_chinese_chars", true),
                n.Get("strip_accents")?.AsBool(), n.OptBool("lowercase", true)),
            _ => throw new TokenizerFormatException($"normalizer type '{type}' is not supported", n.File, n.Path),
        };
    }
}
