// Entry point for reading dataset files; picks the loader from the format or the file extension.
using System.Text.Json.Nodes;

namespace TuneSharp.Data.Loading;

public static class DatasetFiles
{
    /// <summary>Loads <paramref name="path"/> (a file, or a folder of .txt documents) into a <see cref="Dataset"/>.</summary>
    public static Dataset Load(string path, DatasetFileFormat format = DatasetFileFormat.Auto)
    {
        if (Directory.Exists(path))
        {
            if (format is not (DatasetFileFormat.Auto or DatasetFileFormat.TextDocument or DatasetFileFormat.TextLines))
                throw new DataFormatException($"is a folder; only the text formats read folders (one document per .txt file)", path);
            var files = Directory.EnumerateFiles(path, "*.txt", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
            if (files.Length == 0) throw new DataFormatException("folder holds no .txt files", path);
            var rows = new List<JsonObject>();
            foreach (var f in files)
                rows.AddRange(format == DatasetFileFormat.TextLines ? TextLoader.Lines(f) : [TextLoader.Document(f)]);
            return new Dataset(rows, path);
        }
        if (!File.Exists(path)) throw new DataFormatException("file not found", path);
        if (format == DatasetFileFormat.Auto) format = Detect(path);
        IReadOnlyList<JsonObject> result = format switch
        {
            DatasetFileFormat.Json => JsonLoader.Load(path),
            DatasetFileFormat.Jsonl => JsonlLoader.Load(path),
            DatasetFileFormat.Csv => DelimitedLoader.Load(path, ','),
            DatasetFileFormat.Tsv => DelimitedLoader.Load(path, '\t'),
            DatasetFileFormat.TextLines => TextLoader.Lines(path),
            DatasetFileFormat.TextDocument => [TextLoader.Document(path)],
            _ => throw new ArgumentOutOfRangeException(nameof(format)),
        };
        return new Dataset(result, path);
    }

    /// <summary>Parses a format name as used in configs: json, jsonl, csv, tsv, text/txt (lines), text-document.</summary>
    public static DatasetFileFormat ParseFormat(string name) => name.Trim().ToLowerInvariant() switch
    {
        "" or "auto" => DatasetFileFormat.Auto,
        "json" => DatasetFileFormat.Json,
        "jsonl" or "ndjson" => DatasetFileFormat.Jsonl,
        "csv" => DatasetFileFormat.Csv,
        "tsv" => DatasetFileFormat.Tsv,
        "text" or "txt" or "text-lines" => DatasetFileFormat.TextLines,
        "text-document" or "document" => DatasetFileFormat.TextDocument,
        _ => throw new DataFormatException($"unknown file format '{name}'; use one of json, jsonl, csv, tsv, text, text-document", field: "format"),
    };

    private static DatasetFileFormat Detect(string path)
    {
        var ext = Path.GetExtension(path).ToLowerInvariant();
        return ext switch
        {
            ".json" => SniffJson(path),
            ".jsonl" or ".ndjson" => DatasetFileFormat.Jsonl,
            ".csv" => DatasetFileFormat.Csv,
            ".tsv" or ".tab" => DatasetFileFormat.Tsv,
            ".txt" or ".md" or ".text" => DatasetFileFormat.TextLines,
            _ => throw new DataFormatException($"cannot tell the format from the extension '{ext}'; pass it explicitly (json, jsonl, csv, tsv, text)", path),
        };
    }

    // Some ".json" files are really JSON Lines (one object per line); peek at the structure to decide.
    private static DatasetFileFormat SniffJson(string path)
    {
        using var reader = new StreamReader(path);
        int c;
        while ((c = reader.Read()) >= 0 && char.IsWhiteSpace((char)c) || c == '\uFEFF') { }
        if (c == '[') return DatasetFileFormat.Json;
        var firstLine = (char)c + reader.ReadLine();
        try
        {
            JsonNode.Parse(firstLine);
            // A complete object on the first line followed by more content means JSON Lines.
            return reader.Peek() >= 0 ? DatasetFileFormat.Jsonl : DatasetFileFormat.Json;
        }
        catch (System.Text.Json.JsonException)
        {
            return DatasetFileFormat.Json;
        }
    }
}
