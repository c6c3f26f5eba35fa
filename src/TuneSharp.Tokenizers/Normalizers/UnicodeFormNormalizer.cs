// Normalizers NFC/NFD/NFKC/NFKD (Unicode normalization forms, UAX #15).
using System.Globalization;
using System.Text;
using TuneSharp.Tokenizers.Internal;

namespace TuneSharp.Tokenizers.Normalizers;

internal sealed class UnicodeFormNormalizer(NormalizationForm form) : Normalizer
{
    public override Piece Normalize(Piece p)
    {
        if (UnicodeNorm.IsQuickNormalized(p.Text, form)) return p;
        if (!p.Tracked) return new Piece(UnicodeNorm.Normalize(p.Text, form), null, null);
        // Normalization never crosses a grapheme-cluster boundary, so normalizing cluster by cluster keeps an alignment.
        var b = new PieceBuilder(p.Text.Length, true);
        int i = 0;
        while (i < p.Text.Length)
        {
            int len = StringInfo.GetNextTextElementLength(p.Text.AsSpan(i));
            var cluster = p.Text.Substring(i, len);
            var norm = UnicodeNorm.Normalize(cluster, form);
            if (norm == cluster) b.AppendFrom(p, i, i + len);
            else b.Append(norm, p.Starts![i], p.Ends![i + len - 1]);
            i += len;
        }
        return b.Build();
    }
}
