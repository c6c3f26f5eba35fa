// Normalizer `Strip`: removes leading and/or trailing whitespace.
using TuneSharp.Tokenizers.Internal;

namespace TuneSharp.Tokenizers.Normalizers;

internal sealed class StripNormalizer(bool left, bool right) : Normalizer
{
    public override Piece Normalize(Piece p)
    {
        int a = 0, b = p.Text.Length;
        if (left) while (a < b && char.IsWhiteSpace(p.Text[a])) a++;
        if (right) while (b > a && char.IsWhiteSpace(p.Text[b - 1])) b--;
        return p.Slice(a, b - a);
    }
}
