// Pre-tokenizer `WhitespaceSplit`: splits on Unicode whitespace, removing it.
using TuneSharp.Tokenizers.Internal;

namespace TuneSharp.Tokenizers.PreTokenizers;

internal sealed class WhitespaceSplitPreTokenizer : PreTokenizer
{
    public override void Split(Piece piece, List<Piece> output, int sectionIndex)
    {
        var t = piece.Text;
        int i = 0;
        while (i < t.Length)
        {
            while (i < t.Length && char.IsWhiteSpace(t[i])) i++;
            int s = i;
            while (i < t.Length && !char.IsWhiteSpace(t[i])) i++;
            if (i > s) output.Add(piece.Slice(s, i - s));
        }
    }
}
