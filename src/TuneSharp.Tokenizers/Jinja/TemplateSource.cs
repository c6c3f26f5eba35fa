// The original template text with line starts, to turn character offsets into (line, column, excerpt) for error messages.
namespace TuneSharp.Tokenizers.Jinja;

internal sealed class TemplateSource
{
    private readonly int[] _lineStarts;

    public TemplateSource(string text, string? name = null)
    {
        Text = text;
        Name = name;
        var starts = new List<int> { 0 };
        for (int i = 0; i < text.Length; i++) if (text[i] == '\n') starts.Add(i + 1);
        _lineStarts = starts.ToArray();
    }

    public string Text { get; }

    /// <summary>Where the template came from (a file, or "FILE chat_template"), named in every error; null when unknown.</summary>
    public string? Name { get; }

    public (int Line, int Column, string Excerpt) Locate(int offset)
    {
        offset = Math.Clamp(offset, 0, Text.Length);
        int idx = Array.BinarySearch(_lineStarts, offset);
        if (idx < 0) idx = ~idx - 1;
        int start = _lineStarts[idx];
        int end = Text.IndexOf('\n', start);
        if (end < 0) end = Text.Length;
        int col = offset - start;
        int from = Math.Max(start, offset - 30), to = Math.Min(end, offset + 30);
        string excerpt = (from > start ? "…" : "") + Text[from..to].Replace('\t', ' ').Replace("\r", "") + (to < end ? "…" : "");
        return (idx + 1, col + 1, excerpt.Trim().Length == 0 ? "<blank line>" : excerpt);
    }

    public TemplateException Error(string reason, int offset, Exception? inner = null)
    {
        var (line, col, excerpt) = Locate(offset);
        return new TemplateException(reason, line, col, excerpt, inner, Name);
    }
}
