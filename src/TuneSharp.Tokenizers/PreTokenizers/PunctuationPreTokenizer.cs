// Pre-tokenizer `Punctuation`: splits on ASCII punctuation and Unicode P* characters with a behaviour (default Isolated).
using System.Globalization;
using TuneSharp.Tokenizers.Internal;

namespace TuneSharp.Tokenizers.PreTokenizers;

internal sealed class PunctuationPreTokenizer(SplitBehavior behavior) : PreTokenizer
{
    public override void Split(Piece piece, List<Piece> output, int sectionIndex)
    {
        var m = new List<(int, int)>();
        var t = piece.Text;
        for (int i = 0; i < t.Length; i++)
            if (IsPunctuation(t, i, out int len)) { m.Add((i, len)); i += len - 1; }
        Splitter.Split(piece, m, behavior, false, output);
    }

    internal static bool IsPunctuation(string t, int i, out int len)
    {
        len = char.IsHighSurrogate(t[i]) && i + 1 < t.Length && char.IsLowSurrogate(t[i + 1]) ? 2 : 1;
        int cp = len == 2 ? char.ConvertToUtf32(t[i], t[i + 1]) : t[i];
        if (cp < 128) return char.IsAsciiLetterOrDigit((char)cp) == false && cp > 32 && cp < 127;
        return CharUnicodeInfo.GetUnicodeCategory(cp) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;
    }
}
