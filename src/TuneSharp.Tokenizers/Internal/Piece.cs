// A piece of text flowing through the pipeline, with optional per-UTF-16-unit alignment to the original input.
namespace TuneSharp.Tokenizers.Internal;

/// <summary>
/// Text plus, when offsets are tracked, <c>Starts[i]</c>/<c>Ends[i]</c>: the original character range
/// that unit <c>i</c> of <see cref="Text"/> came from. Null maps mean "offsets not requested" (fast path).
/// </summary>
internal readonly record struct Piece(string Text, int[]? Starts, int[]? Ends)
{
    public bool Tracked => Starts != null;

    public Piece Slice(int start, int length)
    {
        if (start == 0 && length == Text.Length) return this;
        var text = Text.Substring(start, length);
        if (Starts == null) return new Piece(text, null, null);
        return new Piece(text, Starts.AsSpan(start, length).ToArray(), Ends.AsSpan(start, length).ToArray());
    }

    public static Piece FromOriginal(string text, int offset, int length, bool track)
    {
        var t = offset == 0 && length == text.Length ? text : text.Substring(offset, length);
        if (!track) return new Piece(t, null, null);
        var s = new int[length];
        var e = new int[length];
        for (int i = 0; i < length; i++)
        {
            s[i] = offset + i;
            e[i] = offset + i + 1;
        }
        // A surrogate pair is one character: both units span the pair.
        for (int i = 0; i + 1 < length; i++)
            if (char.IsHighSurrogate(t[i]) && char.IsLowSurrogate(t[i + 1])) { e[i] = offset + i + 2; s[i + 1] = offset + i; }
        return new Piece(t, s, e);
    }

    /// <summary>(start, end) in the original text for units [a, b) of this piece.</summary>
    public (int Start, int End) Range(int a, int b)
    {
        if (Starts == null || Ends == null || Text.Length == 0) return (0, 0);
        if (b <= a) { int p = a < Starts.Length ? Starts[a] : Ends[^1]; return (p, p); }
        return (Starts[a], Ends[b - 1]);
    }
}
