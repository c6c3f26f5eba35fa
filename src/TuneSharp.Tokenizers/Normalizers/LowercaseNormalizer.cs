// Normalizer `Lowercase` (Unicode lowercase mapping, per scalar).
using System.Text;
using TuneSharp.Tokenizers.Internal;

namespace TuneSharp.Tokenizers.Normalizers;

internal sealed class LowercaseNormalizer : Normalizer
{
    public override Piece Normalize(Piece p)
    {
        if (!p.Tracked) return new Piece(p.Text.ToLowerInvariant(), null, null);
        var b = new PieceBuilder(p.Text.Length, true);
        Span<char> buf = stackalloc char[4];
        int i = 0;
        foreach (var r in p.Text.EnumerateRunes())
        {
            var lower = Rune.ToLowerInvariant(r);
            int n = lower.EncodeToUtf16(buf);
            if (n == r.Utf16SequenceLength) b.Append(buf[..n], p.Starts![i], p.Ends![i + n - 1]);
            else b.Append(buf[..n], p.Starts![i], p.Ends![i + r.Utf16SequenceLength - 1]);
            i += r.Utf16SequenceLength;
        }
        return b.Build();
    }
}
