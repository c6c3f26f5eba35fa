// Pre-tokenizer `BertPreTokenizer`: drop whitespace, then isolate every punctuation character (HF pre_tokenizers/bert.rs).
using TuneSharp.Tokenizers.Internal;

namespace TuneSharp.Tokenizers.PreTokenizers;

internal sealed class BertPreTokenizer : PreTokenizer
{
    private readonly WhitespaceSplitPreTokenizer _ws = new();

    public override void Split(Piece piece, List<Piece> output, int sectionIndex)
    {
        var words = new List<Piece>();
        _ws.Split(piece, words, sectionIndex);
        foreach (var w in words)
        {
            var t = w.Text;
            int s = 0;
            for (int i = 0; i < t.Length; i++)
            {
                if (!PunctuationPreTokenizer.IsPunctuation(t, i, out int len)) continue;
                if (i > s) output.Add(w.Slice(s, i - s));
                output.Add(w.Slice(i, len));
                i += len - 1;
                s = i + 1;
            }
            if (s < t.Length) output.Add(w.Slice(s, t.Length - s));
        }
    }
}
