// Base of the tokenizer.json `post_processor` components (HF processors/*.rs): add special tokens around a sequence.
using TuneSharp.Tokenizers.Internal;

namespace TuneSharp.Tokenizers.PostProcessors;

internal abstract class PostProcessor
{
    /// <summary>Wraps one encoded sequence; <paramref name="special"/> marks tokens the processor added.</summary>
    public abstract void Process(List<int> ids, List<(int Start, int End)> offsets, List<bool> special, bool addSpecialTokens);

    public static PostProcessor? FromJson(JsonNode? node)
    {
        if (node is not { } n) return null;
        var type = n.TypeName("post_processor");
        return type switch
        {
            "TemplateProcessing" => TemplatePostProcessor.FromJson(n),
            "BertProcessing" => new TemplatePostProcessor([ReadPair(n.Require("cls"))], [ReadPair(n.Require("sep"))]),
            "RobertaProcessing" => new TemplatePostProcessor([ReadPair(n.Require("cls"))], [ReadPair(n.Require("sep"))]),
            "ByteLevel" => new PassThroughPostProcessor(),
            "Sequence" => new SequencePostProcessor(n.Require("processors").Items().Select(x => FromJson(x)!).ToArray()),
            _ => throw new TokenizerFormatException($"post_processor type '{type}' is not supported", n.File, n.Path),
        };
    }

    private static int[] ReadPair(JsonNode n)
    {
        if (n.Length != 2) throw n.Error("expected [token, id]");
        return [n.At(1).AsInt()];
    }
}
