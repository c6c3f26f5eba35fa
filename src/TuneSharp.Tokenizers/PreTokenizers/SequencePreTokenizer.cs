// Pre-tokenizer `Sequence`: applies each pre-tokenizer to the pieces of the previous one.
using TuneSharp.Tokenizers.Internal;

namespace TuneSharp.Tokenizers.PreTokenizers;

internal sealed class SequencePreTokenizer(PreTokenizer[] items) : PreTokenizer
{
    public override void Split(Piece piece, List<Piece> output, int sectionIndex)
    {
        var cur = new List<Piece> { piece };
        foreach (var t in items) t.Apply(cur, sectionIndex);
        output.AddRange(cur);
    }
}
