// Normalizer `BertNormalizer` (HF normalizers/bert.rs): clean control chars, space out CJK ideographs, lowercase, strip accents.
using System.Globalization;
using System.Text;
using TuneSharp.Tokenizers.Internal;

namespace TuneSharp.Tokenizers.Normalizers;

internal sealed class BertNormalizer(bool cleanText, bool chineseChars, bool? stripAccents, bool lowercase) : Normalizer
{
    public override Piece Normalize(Piece p)
    {
        var b = new PieceBuilder(p.Text.Length + 8, p.Tracked);
        var t = p.Text;
        for (int i = 0; i < t.Length;)
        {
            int len = char.IsHighSurrogate(t[i]) && i + 1 < t.Length && char.IsLowSurrogate(t[i + 1]) ? 2 : 1;
            int cp = len == 2 ? char.ConvertToUtf32(t[i], t[i + 1]) : t[i];
            int s = p.Tracked ? p.Starts![i] : 0, e = p.Tracked ? p.Ends![i + len - 1] : 0;
            if (cleanText)
            {
                if (cp == 0 || cp == 0xFFFD || IsControl(cp)) { i += len; continue; }
                if (IsWhitespace(cp)) { b.Append(' ', s, e); i += len; continue; }
            }
            if (chineseChars && IsChinese(cp))
            {
                b.Append(' ', s, e);
                b.Append(t.AsSpan(i, len), s, e);
                b.Append(' ', s, e);
            }
            else b.Append(t.AsSpan(i, len), s, e);
            i += len;
        }
        var r = b.Build();
        if (lowercase)
        {
            r = new LowercaseNormalizer().Normalize(r);
            if (stripAccents != false) r = StripAccentsNormalizer.Strip(new UnicodeFormNormalizer(NormalizationForm.FormD).Normalize(r));
        }
        else if (stripAccents == true) r = StripAccentsNormalizer.Strip(new UnicodeFormNormalizer(NormalizationForm.FormD).Normalize(r));
        return r;
    }

    private static bool IsWhitespace(int cp) => cp is '\t' or '\n' or '\r' or ' ' || (cp <= 0xFFFF ? char.IsWhiteSpace((char)cp) : false);

    private static bool IsControl(int cp)
    {
        if (cp is '\t' or '\n' or '\r') return false;
        var c = CharUnicodeInfo.GetUnicodeCategory(cp);
        return c is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.PrivateUse or UnicodeCategory.Surrogate or UnicodeCategory.OtherNotAssigned;
    }

    internal static bool IsChinese(int cp) =>
        (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF) ||
        (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
        (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}
