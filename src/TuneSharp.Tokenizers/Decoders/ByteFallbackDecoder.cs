// Decoder `ByteFallback`: runs of "<0xXX>" tokens become UTF-8 text; an invalid run gives one U+FFFD per byte (as HF).
using System.Text;

namespace TuneSharp.Tokenizers.Decoders;

internal sealed class ByteFallbackDecoder : Decoder
{
    private static readonly UTF8Encoding Strict = new(false, true);

    public override List<string> DecodeChain(List<string> tokens, List<bool> isAdded)
    {
        var r = new List<string>(tokens.Count);
        var bytes = new List<byte>();
        foreach (var t in tokens)
        {
            if (TryParseByte(t, out byte b)) { bytes.Add(b); continue; }
            Flush(bytes, r);
            r.Add(t);
        }
        Flush(bytes, r);
        return r;
    }

    internal static bool TryParseByte(string t, out byte b)
    {
        b = 0;
        return t.Length == 6 && t.StartsWith("<0x", StringComparison.Ordinal) && t[5] == '>'
            && byte.TryParse(t.AsSpan(3, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out b);
    }

    private static void Flush(List<byte> bytes, List<string> r)
    {
        if (bytes.Count == 0) return;
        try { r.Add(Strict.GetString(bytes.ToArray())); }
        catch (DecoderFallbackException) { r.Add(new string('\uFFFD', bytes.Count)); }
        bytes.Clear();
    }
}
