// Pre-tokenizer `Digits`: isolates ASCII digits, one by one or as runs.
using TuneSharp.Tokenizers.Internal;

namespace TuneSharp.Tokenizers.PreTokenizers;

internal sealed class DigitsPreTokenizer(bool individual) : PreTokenizer
{
    public override void Split(Piece piece, List<Piece> output, int sectionIndex)
    {
        var m = new List<(int, int)>();
        var t = piece.Text;
        for (int i = 0; i < t.Length; i++) if (char.IsAsciiDigit(t[i])) m.Add((i, 1));
        if (m.Count == 0) { output.Add(piece); return; }
        Splitter.Split(piece, m, individual ? SplitBehavior.Isolated : SplitBehavior.Contiguous, false, output);
    }
}
