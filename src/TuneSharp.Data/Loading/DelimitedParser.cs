// A streaming RFC 4180 record reader (quoting optional, as TSV files usually have none) tracking line numbers.
using System.Text;

namespace TuneSharp.Data.Loading;

internal sealed class DelimitedParser(TextReader reader, char delimiter, string path, bool quoting)
{
    private long _line = 1;

    /// <summary>The next record's fields, or null at end of input; <paramref name="startLine"/> is its first line.</summary>
    public List<string>? ReadRecord(out long startLine)
    {
        startLine = _line;
        int c = reader.Peek();
        if (c < 0) return null;
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false, wasQuoted = false;
        while (true)
        {
            c = reader.Read();
            if (c < 0)
            {
                if (quoted) throw new DataFormatException("a quoted field is never closed (missing \")", path, startLine);
                fields.Add(field.ToString());
                return fields;
            }
            char ch = (char)c;
            if (quoted)
            {
                if (ch == '"')
                {
                    if (reader.Peek() == '"') { reader.Read(); field.Append('"'); }
                    else quoted = false;
                }
                else
                {
                    if (ch == '\n') _line++;
                    field.Append(ch);
                }
                continue;
            }
            if (quoting && ch == '"' && field.Length == 0 && !wasQuoted) { quoted = true; wasQuoted = true; continue; }
            if (ch == delimiter) { fields.Add(field.ToString()); field.Clear(); wasQuoted = false; continue; }
            if (ch == '\r' && reader.Peek() == '\n') continue;
            if (ch == '\n')
            {
                _line++;
                fields.Add(field.ToString());
                return fields;
            }
            if (wasQuoted && ch != '\r')
                throw new DataFormatException($"unexpected character '{ch}' after a closing quote in field {fields.Count + 1}", path, _line);
            field.Append(ch);
        }
    }
}
