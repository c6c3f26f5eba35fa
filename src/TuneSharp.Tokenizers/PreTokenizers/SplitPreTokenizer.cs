// Pre-tokenizer `Split`: splits on a literal or regex with a delimiter behaviour, optionally inverted (matches are the words).
using TuneSharp.Tokenizers.Internal;

namespace TuneSharp.Tokenizers.PreTokenizers;

internal sealed class SplitPreTokenizer(TextPattern pattern, SplitBehavior behavior, bool invert) : PreTokenizer
{
    [ThreadStatic] private static List<(int Start, int Length)>? _matches;

    public override void Split(Piece piece, List<Piece> output, int sectionIndex)
    {
        var m = _matches ??= new List<(int, int)>();
        m.Clear();
        pattern.Matches(piece.Text, m);
        var copy = m.Count < 64 ? m : new List<(int, int)>(m);
        Splitter.Split(piece, copy, behavior, invert, output);
    }
}
