// Normalizer `Replace`: replaces every match of a literal or regex pattern with `content`.
using TuneSharp.Tokenizers.Internal;

namespace TuneSharp.Tokenizers.Normalizers;

internal sealed class ReplaceNormalizer(TextPattern pattern, string content) : Normalizer
{
    [ThreadStatic] private static List<(int Start, int Length)>? _matches;

    public override Piece Normalize(Piece p) => Apply(pattern, content, p);

    internal static Piece Apply(TextPattern pattern, string content, Piece p)
    {
        if (!p.Tracked && pattern.Literal is { Length: > 0 } lit) return new Piece(p.Text.Replace(lit, content, StringComparison.Ordinal), null, null);
        var matches = _matches ??= new List<(int, int)>();
        matches.Clear();
        pattern.Matches(p.Text, matches);
        if (matches.Count == 0) return p;
        var b = new PieceBuilder(p.Text.Length, p.Tracked);
        int prev = 0;
        foreach (var (s, l) in matches)
        {
            Copy(b, p, prev, s);
            if (p.Tracked) b.Append(content, p.Starts![s], p.Ends![s + l - 1]); else b.Append(content, 0, 0);
            prev = s + l;
        }
        Copy(b, p, prev, p.Text.Length);
        return b.Build();
    }

    private static void Copy(PieceBuilder b, in Piece p, int a, int e)
    {
        if (p.Tracked) b.AppendFrom(p, a, e); else b.Append(p.Text.AsSpan(a, e - a), 0, 0);
    }
}
