// llama.cpp's WPM preprocessing (llm_tokenizer_wpm_session::preprocess): NFD, drop accents, lowercase, split on whitespace, and
// isolate punctuation, ASCII symbols and CJK ideographs; drops NUL, U+FFFD and control characters.
using System.Globalization;
using System.Text;
using TuneSharp.Tokenizers.Internal;
using TuneSharp.Tokenizers.Normalizers;

namespace TuneSharp.Tokenizers.PreTokenizers;

internal sealed class WpmPreTokenizer : PreTokenizer
{
    public override void Split(Piece piece, List<Piece> output, int sectionIndex)
    {
        var nfd = UnicodeNorm.Normalize(piece.Text, NormalizationForm.FormD);
        var word = new StringBuilder();
        void Finish()
        {
            if (word.Length > 0) output.Add(new Piece(word.ToString(), null, null));
            word.Clear();
        }
        foreach (var r in nfd.EnumerateRunes())
        {
            int cp = r.Value;
            var cat = Rune.GetUnicodeCategory(r);
            if (Rune.IsWhiteSpace(r)) { Finish(); continue; }
            if (cp == 0 || cp == 0xFFFD || cat is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.PrivateUse or UnicodeCategory.Surrogate
                || cat == UnicodeCategory.NonSpacingMark) continue; // accents go, as BERT's strip_accents
            var s = Rune.ToLowerInvariant(r).ToString();
            bool punct = cat is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation
                or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;
            bool symbol = cat is UnicodeCategory.MathSymbol or UnicodeCategory.CurrencySymbol or UnicodeCategory.ModifierSymbol or UnicodeCategory.OtherSymbol;
            if (punct || (cp < 0x7F && symbol) || IsChinese(cp))
            {
                Finish();
                word.Append(s);
                Finish();
            }
            else word.Append(s);
        }
        Finish();
    }

    private static bool IsChinese(int cp) =>
        (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF) ||
        (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF) ||
        (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}
