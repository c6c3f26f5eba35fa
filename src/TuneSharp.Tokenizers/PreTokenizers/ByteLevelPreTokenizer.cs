// Pre-tokenizer `ByteLevel` (GPT-2): optional prefix space, optional GPT-2 regex split, then bytes → printable chars.
using System.Buffers;
using System.Text;
using TuneSharp.Tokenizers.Internal;

namespace TuneSharp.Tokenizers.PreTokenizers;

internal sealed class ByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex) : PreTokenizer
{
    /// <summary>The GPT-2 pre-tokenization regex used when <c>use_regex</c> is true.</summary>
    internal const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private static readonly Lazy<ScalarRegex> Gpt2Regex = new(() => new ScalarRegex(Gpt2Pattern));
    [ThreadStatic] private static List<(int Start, int Length)>? _matches;

    public override void Split(Piece piece, List<Piece> output, int sectionIndex)
    {
        if (addPrefixSpace && !piece.Text.StartsWith(' '))
        {
            if (piece.Tracked)
            {
                var b = new PieceBuilder(piece.Text.Length + 1, true);
                int at = piece.Text.Length > 0 ? piece.Starts![0] : 0;
                b.Append(' ', at, at);
                b.AppendFrom(piece, 0, piece.Text.Length);
                piece = b.Build();
            }
            else piece = new Piece(" " + piece.Text, null, null);
        }
        if (!useRegex)
        {
            output.Add(ToBytes(piece));
            return;
        }
        var m = _matches ??= new List<(int, int)>();
        m.Clear();
        Gpt2Regex.Value.Matches(piece.Text, m);
        int prev = 0;
        foreach (var (s, l) in m)
        {
            if (s > prev) output.Add(ToBytes(piece.Slice(prev, s - prev)));
            output.Add(ToBytes(piece.Slice(s, l)));
            prev = s + l;
        }
        if (prev < piece.Text.Length) output.Add(ToBytes(piece.Slice(prev, piece.Text.Length - prev)));
    }

    /// <summary>Maps the UTF-8 bytes of the piece to GPT-2's printable byte alphabet.</summary>
    internal static Piece ToBytes(Piece p)
    {
        var text = p.Text;
        bool ascii = Ascii.IsValid(text);
        var map = ByteLevelAlphabet.ByteToChar;
        if (!p.Tracked)
        {
            if (ascii)
            {
                return new Piece(string.Create(text.Length, text, static (dst, src) =>
                {
                    var m = ByteLevelAlphabet.ByteToChar;
                    for (int i = 0; i < src.Length; i++) dst[i] = m[src[i]];
                }), null, null);
            }
            int max = Encoding.UTF8.GetMaxByteCount(text.Length);
            byte[] rented = ArrayPool<byte>.Shared.Rent(max);
            int n = Encoding.UTF8.GetBytes(text, rented);
            var s = string.Create(n, rented, static (dst, src) =>
            {
                var m = ByteLevelAlphabet.ByteToChar;
                for (int i = 0; i < dst.Length; i++) dst[i] = m[src[i]];
            });
            ArrayPool<byte>.Shared.Return(rented);
            return new Piece(s, null, null);
        }
        var b = new PieceBuilder(text.Length * 2, true);
        Span<byte> buf = stackalloc byte[4];
        int i2 = 0;
        foreach (var r in text.EnumerateRunes())
        {
            int len = r.Utf16SequenceLength;
            int k = r.EncodeToUtf8(buf);
            int st = p.Starts![i2], en = p.Ends![i2 + len - 1];
            for (int j = 0; j < k; j++) b.Append(map[buf[j]], st, en);
            i2 += len;
        }
        return b.Build();
    }
}
