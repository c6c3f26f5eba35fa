// Reads CSV (RFC 4180: quoted fields, "" escapes, embedded newlines) and TSV (no quoting); errors name the line.
using System.Text;
using System.Text.Json.Nodes;

namespace TuneSharp.Data.Loading;

internal static class DelimitedLoader
{
    public static IReadOnlyList<JsonObject> Load(string path, char delimiter)
    {
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        // TSV (IANA text/tab-separated-values) has no quoting: quotes are literal text, as in KorSTS.
        var parser = new DelimitedParser(reader, delimiter, path, quoting: delimiter != '\t');
        var header = parser.ReadRecord(out _) ?? throw new DataFormatException("file is empty; expected a header row naming the columns", path, 1);
        for (int i = 0; i < header.Count; i++)
        {
            header[i] = header[i].Trim();
            if (header[i].Length == 0) throw new DataFormatException($"header column {i + 1} has no name", path, 1);
        }
        var duplicate = header.GroupBy(h => h).FirstOrDefault(g => g.Count() > 1);
        if (duplicate != null) throw new DataFormatException($"header names column '{duplicate.Key}' twice", path, 1);
        var rows = new List<JsonObject>();
        while (parser.ReadRecord(out long line) is { } fields)
        {
            if (fields.Count == 1 && fields[0].Length == 0) continue; // blank line
            long rowNumber = rows.Count + 1; // the header is not a row
            if (fields.Count != header.Count)
                throw new DataFormatException(
                    $"row has {fields.Count} fields but the header has {header.Count} ({string.Join(", ", header)}). " +
                    $"Quote fields that contain '{(delimiter == '\t' ? "\\t" : delimiter.ToString())}' or line breaks with double quotes.",
                    path, line, row: rowNumber);
            var row = new JsonObject();
            for (int i = 0; i < header.Count; i++) row[header[i]] = fields[i];
            rows.Add(row);
        }
        return rows;
    }
}
