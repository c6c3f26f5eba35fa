// Builds a new Piece unit by unit while carrying alignment (used by normalizers that rewrite text).
using System.Text;

namespace TuneSharp.Tokenizers.Internal;

internal sealed class PieceBuilder
{
    private readonly StringBuilder _text;
    private readonly List<int>? _starts;
    private readonly List<int>? _ends;

    public PieceBuilder(int capacity, bool track)
    {
        _text = new StringBuilder(capacity);
        if (track) { _starts = new List<int>(capacity); _ends = new List<int>(capacity); }
    }

    public int Length => _text.Length;

    public void Append(char c, int start, int end)
    {
        _text.Append(c);
        _starts?.Add(start);
        _ends?.Add(end);
    }

    public void Append(string s, int start, int end)
    {
        _text.Append(s);
        if (_starts != null) for (int i = 0; i < s.Length; i++) { _starts.Add(start); _ends!.Add(end); }
    }

    public void Append(ReadOnlySpan<char> s, int start, int end)
    {
        _text.Append(s);
        if (_starts != null) for (int i = 0; i < s.Length; i++) { _starts.Add(start); _ends!.Add(end); }
    }

    /// <summary>Copies units [a, b) of <paramref name="p"/> unchanged with their alignment.</summary>
    public void AppendFrom(in Piece p, int a, int b)
    {
        _text.Append(p.Text, a, b - a);
        if (_starts != null)
        {
            for (int i = a; i < b; i++) { _starts.Add(p.Starts![i]); _ends!.Add(p.Ends![i]); }
        }
    }

    public Piece Build() => new(_text.ToString(), _starts?.ToArray(), _ends?.ToArray());
}
