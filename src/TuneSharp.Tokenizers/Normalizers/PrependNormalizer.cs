// Normalizer `Prepend`: prefixes non-empty text (SentencePiece's "▁" dummy prefix).
using TuneSharp.Tokenizers.Internal;

namespace TuneSharp.Tokenizers.Normalizers;

internal sealed class PrependNormalizer(string prefix) : Normalizer
{
    public override Piece Normalize(Piece p)
    {
        if (p.Text.Length == 0) return p;
        if (!p.Tracked) return new Piece(prefix + p.Text, null, null);
        var b = new PieceBuilder(p.Text.Length + prefix.Length, true);
        b.Append(prefix, p.Starts![0], p.Ends![0]);
        b.AppendFrom(p, 0, p.Text.Length);
        return b.Build();
    }
}
