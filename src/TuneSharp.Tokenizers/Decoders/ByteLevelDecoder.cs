// Decoder `ByteLevel`: maps GPT-2 byte characters back to bytes and decodes UTF-8 (invalid bytes → U+FFFD).
using System.Text;
using TuneSharp.Tokenizers.PreTokenizers;

namespace TuneSharp.Tokenizers.Decoders;

internal sealed class ByteLevelDecoder : Decoder
{
    public override List<string> DecodeChain(List<string> tokens, List<bool> isAdded)
    {
        var result = new List<string>();
        var bytes = new List<byte>();
        for (int i = 0; i < tokens.Count; i++)
        {
            if (isAdded[i])
            {
                Flush(bytes, result);
                result.Add(tokens[i]);
                continue;
            }
            AppendBytes(tokens[i], bytes);
        }
        Flush(bytes, result);
        return result;
    }

    internal static void AppendBytes(string token, List<byte> bytes)
    {
        var inv = ByteLevelAlphabet.CharToByte;
        Span<byte> buf = stackalloc byte[4];
        foreach (var r in token.EnumerateRunes())
        {
            if (r.Value < inv.Length && inv[r.Value] >= 0) bytes.Add((byte)inv[r.Value]);
            else
            {
                int n = r.EncodeToUtf8(buf);
                for (int k = 0; k < n; k++) bytes.Add(buf[k]);
            }
        }
    }

    private static void Flush(List<byte> bytes, List<string> result)
    {
        if (bytes.Count == 0) return;
        result.Add(Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes)));
        bytes.Clear();
    }
}
