// Base of the tokenizer.json `pre_tokenizer` components (HF tokenizers pre_tokenizers/*.rs) and the factory reading them.
using TuneSharp.Tokenizers.Internal;

namespace TuneSharp.Tokenizers.PreTokenizers;

internal abstract class PreTokenizer
{
    /// <summary>Splits one piece, appending the results to <paramref name="output"/>.</summary>
    /// <param name="sectionIndex">Index of this section among the added-token split (Metaspace "first").</param>
    public abstract void Split(Piece piece, List<Piece> output, int sectionIndex);

    /// <summary>Applies this pre-tokenizer to every piece of the list, in place.</summary>
    public void Apply(List<Piece> pieces, int sectionIndex)
    {
        if (pieces.Count == 1)
        {
            var only = pieces[0];
            pieces.Clear();
            Split(only, pieces, sectionIndex);
            return;
        }
        var input = pieces.ToArray();
        pieces.Clear();
        foreach (var p in input) Split(p, pieces, sectionIndex);
    }

    public static PreTokenizer? FromJson(JsonNode? node)
    {
        if (node is not { } n) return null;
        var type = n.TypeName("pre_tokenizer");
        return type switch
        {
            "Sequence" => new SequencePreTokenizer(n.Require("pretokenizers").Items().Select(x => FromJson(x)!).ToArray()),
            "ByteLevel" => new ByteLevelPreTokenizer(n.OptBool("add_prefix_space", true), n.OptBool("use_regex", true)),
            "Split" => new SplitPreTokenizer(TextPattern.FromJson(n.Require("pattern")), ParseBehavior(n.Require("behavior")), n.OptBool("invert", false)),
            "Metaspace" => MetaspacePreTokenizer.FromJson(n),
            "Whitespace" => new SplitPreTokenizer(TextPattern.FromRegex(@"\w+|[^\w\s]+"), SplitBehavior.Removed, invert: true),
            "WhitespaceSplit" => new WhitespaceSplitPreTokenizer(),
            "BertPreTokenizer" => new BertPreTokenizer(),
            "Punctuation" => new PunctuationPreTokenizer(n.Get("behavior") is { } b ? ParseBehavior(b) : SplitBehavior.Isolated),
            "Digits" => new DigitsPreTokenizer(n.OptBool("individual_digits", false)),
            _ => throw new TokenizerFormatException($"pre_tokenizer type '{type}' is not supported", n.File, n.Path),
        };
    }

    internal static SplitBehavior ParseBehavior(JsonNode n) => n.AsString() switch
    {
        "Removed" => SplitBehavior.Removed,
        "Isolated" => SplitBehavior.Isolated,
        "MergedWithPrevious" => SplitBehavior.MergedWithPrevious,
        "MergedWithNext" => SplitBehavior.MergedWithNext,
        "Contiguous" => SplitBehavior.Contiguous,
        var s => throw n.Error($"split behavior '{s}' is not supported"),
    };
}
