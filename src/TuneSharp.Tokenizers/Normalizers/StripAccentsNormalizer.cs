// Normalizer `StripAccents`: drops combining marks (category Mn); meant to follow NFD as in HF.
using System.Globalization;
using TuneSharp.Tokenizers.Internal;

namespace TuneSharp.Tokenizers.Normalizers;

internal sealed class StripAccentsNormalizer : Normalizer
{
    public override Piece Normalize(Piece p) => Strip(p);

    internal static Piece Strip(Piece p)
    {
        var b = new PieceBuilder(p.Text.Length, p.Tracked);
        for (int i = 0; i < p.Text.Length; i++)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(p.Text[i]) == UnicodeCategory.NonSpacingMark) continue;
            if (p.Tracked) b.AppendFrom(p, i, i + 1); else b.Append(p.Text[i], 0, 0);
        }
        return b.Build();
    }
}
