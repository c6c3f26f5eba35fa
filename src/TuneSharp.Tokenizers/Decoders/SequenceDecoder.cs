// Decoder `Sequence`: applies each decoder's chain in order.
namespace TuneSharp.Tokenizers.Decoders;

internal sealed class SequenceDecoder(Decoder[] items) : Decoder
{
    public override List<string> DecodeChain(List<string> tokens, List<bool> isAdded)
    {
        foreach (var d in items)
        {
            var next = d.DecodeChain(tokens, isAdded);
            if (next.Count != tokens.Count) isAdded = Enumerable.Repeat(false, next.Count).ToList();
            tokens = next;
        }
        return tokens;
    }
}
