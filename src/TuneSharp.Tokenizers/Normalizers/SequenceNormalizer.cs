// Normalizer `Sequence`: applies each normalizer in order.
using TuneSharp.Tokenizers.Internal;

namespace TuneSharp.Tokenizers.Normalizers;

internal sealed class SequenceNormalizer(Normalizer[] items) : Normalizer
{
    public override Piece Normalize(Piece p)
    {
        foreach (var n in items) p = n.Normalize(p);
        return p;
    }
}
