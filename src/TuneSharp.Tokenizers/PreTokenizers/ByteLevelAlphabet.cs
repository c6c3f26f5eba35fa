// GPT-2's reversible byte ↔ printable-character table (openai/gpt-2 encoder.py `bytes_to_unicode`).
namespace TuneSharp.Tokenizers.PreTokenizers;

internal static class ByteLevelAlphabet
{
    /// <summary>Printable character for each byte value.</summary>
    public static readonly char[] ByteToChar = Build();

    /// <summary>Byte value for each mapped character, or -1 (indexed by char code, table size 324).</summary>
    public static readonly short[] CharToByte = Invert(ByteToChar);

    private static char[] Build()
    {
        var map = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
            map[b] = printable ? (char)b : (char)next++;
        }
        return map;
    }

    private static short[] Invert(char[] map)
    {
        var inv = new short[324];
        Array.Fill(inv, (short)-1);
        for (int b = 0; b < 256; b++) inv[map[b]] = (short)b;
        return inv;
    }
}
