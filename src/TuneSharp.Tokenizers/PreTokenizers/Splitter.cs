// Turns delimiter matches into pieces according to a SplitBehavior (HF normalizer.rs `split`).
using TuneSharp.Tokenizers.Internal;

namespace TuneSharp.Tokenizers.PreTokenizers;

internal static class Splitter
{
    [ThreadStatic] private static List<(int Start, int End, bool Delim)>? _spans;

    /// <summary>Splits <paramref name="p"/> given sorted, non-overlapping delimiter matches.</summary>
    public static void Split(in Piece p, List<(int Start, int Length)> matches, SplitBehavior behavior, bool invert, List<Piece> output)
    {
        int n = p.Text.Length;
        if (n == 0) return;
        // Cover the whole text with (range, isDelimiter) spans.
        var spans = _spans ??= new List<(int, int, bool)>();
        spans.Clear();
        int prev = 0;
        foreach (var (s, l) in matches)
        {
            if (s > prev) spans.Add((prev, s, invert));
            spans.Add((s, s + l, !invert));
            prev = s + l;
        }
        if (prev < n) spans.Add((prev, n, invert));

        switch (behavior)
        {
            case SplitBehavior.Removed:
                foreach (var (s, e, d) in spans) if (!d) output.Add(p.Slice(s, e - s));
                break;
            case SplitBehavior.Isolated:
                foreach (var (s, e, _) in spans) output.Add(p.Slice(s, e - s));
                break;
            case SplitBehavior.Contiguous:
            {
                int i = 0;
                while (i < spans.Count)
                {
                    var (s, e, d) = spans[i];
                    int j = i + 1;
                    if (d) while (j < spans.Count && spans[j].Delim) { e = spans[j].End; j++; }
                    output.Add(p.Slice(s, e - s));
                    i = j;
                }
                break;
            }
            case SplitBehavior.MergedWithPrevious:
            {
                int start = -1, end = -1;
                foreach (var (s, e, d) in spans)
                {
                    if (start < 0) { start = s; end = e; }
                    else end = e;
                    if (d) { output.Add(p.Slice(start, end - start)); start = -1; }
                }
                if (start >= 0) output.Add(p.Slice(start, end - start));
                break;
            }
            case SplitBehavior.MergedWithNext:
            {
                int start = -1;
                for (int i = 0; i < spans.Count; i++)
                {
                    var (s, e, d) = spans[i];
                    if (d)
                    {
                        if (start >= 0) output.Add(p.Slice(start, s - start));
                        start = s;
                    }
                    else if (start < 0) start = s;
                }
                if (start >= 0) output.Add(p.Slice(start, n - start));
                break;
            }
        }
    }
}
