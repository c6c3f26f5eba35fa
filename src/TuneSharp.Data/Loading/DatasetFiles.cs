// Entry point for reading dataset files: picks the loader from the format or the extension; paths may be files,
// folders (HF dataset folders, folders of .txt documents), globs or lists of them.
using System.Text.Json.Nodes;

namespace TuneSharp.Data.Loading;

public static class DatasetFiles
{
    /// <summary>
    /// Loads the train split of <paramref name="path"/> (a file, glob, folder, HF dataset folder, or several of them
    /// separated by newlines) into memory. A folder of only .txt files keeps its meaning: one document per file.
    /// </summary>
    public static Dataset Load(string path, DatasetFileFormat format = DatasetFileFormat.Auto)
        => LoadSplit(DatasetSources.SplitList(path), "train", format: format);

    /// <summary>Loads one split of the sources (see <see cref="DatasetSources.Resolve"/>) into memory.</summary>
    public static Dataset LoadSplit(IReadOnlyList<string> paths, string split, IReadOnlyDictionary<string, IReadOnlyList<string>>? dataFiles = null,
        string? baseDir = null, DatasetFileFormat format = DatasetFileFormat.Auto)
    {
        if (paths.Count == 1 && dataFiles is null && Directory.Exists(paths[0]) && IsTextFolder(paths[0], format))
            return LoadTextFolder(paths[0], format);
        var splits = DatasetSources.Resolve(paths, dataFiles, baseDir);
        var files = DatasetSources.SplitFiles(splits, split, string.Join(", ", paths));
        var rows = new List<JsonObject>();
        var starts = new List<(int, string)>();
        foreach (var f in files)
        {
            starts.Add((rows.Count, f));
            rows.AddRange(StreamFile(f, format));
        }
        return new Dataset(rows, files.Count == 1 ? files[0] : $"{paths[0]} ({split}: {files.Count} files)", starts.ToArray());
    }

    /// <summary>Rows of one split streamed file by file (Parquet by row group, Arrow by batch, JSONL by line).</summary>
    public static IEnumerable<(string File, long Row, JsonObject Value)> StreamSplit(IReadOnlyList<string> paths, string split,
        IReadOnlyDictionary<string, IReadOnlyList<string>>? dataFiles = null, string? baseDir = null, DatasetFileFormat format = DatasetFileFormat.Auto)
    {
        if (paths.Count == 1 && dataFiles is null && Directory.Exists(paths[0]) && IsTextFolder(paths[0], format))
        {
            var ds = LoadTextFolder(paths[0], format);
            return Enumerable.Range(0, ds.Count).Select(i => (ds.FileOf(i) ?? paths[0], (long)ds.RowInFile(i), ds[i]));
        }
        var files = DatasetSources.SplitFiles(DatasetSources.Resolve(paths, dataFiles, baseDir), split, string.Join(", ", paths));
        return Stream(files, format);
    }

    /// <summary>All rows of the files in order, one file (and one Parquet row group / Arrow batch) at a time.</summary>
    public static IEnumerable<(string File, long Row, JsonObject Value)> Stream(IEnumerable<string> files, DatasetFileFormat format = DatasetFileFormat.Auto)
    {
        foreach (var f in files)
        {
            long row = 0;
            foreach (var r in StreamFile(f, format)) yield return (f, ++row, r);
        }
    }

    /// <summary>Rows of one file; Parquet, Arrow and JSONL stream, the other formats are parsed whole.</summary>
    public static IEnumerable<JsonObject> StreamFile(string path, DatasetFileFormat format = DatasetFileFormat.Auto)
    {
        if (!File.Exists(path)) throw new DataFormatException("file not found", path);
        if (format == DatasetFileFormat.Auto) format = Detect(path);
        // Invalid UTF-8 in a text format would be replaced by U+FFFD silently (issue 14); refuse it with its position instead.
        if (format is not (DatasetFileFormat.Parquet or DatasetFileFormat.Arrow) && TuneSharp.Text.Utf8Check.FindInvalid(path) is { } bad)
            throw new DataFormatException(TuneSharp.Text.Utf8Check.Describe(bad), path, bad.Line);
        return format switch
        {
            DatasetFileFormat.Json => JsonLoader.Load(path),
            DatasetFileFormat.Jsonl => JsonlLoader.Stream(path),
            DatasetFileFormat.Csv => DelimitedLoader.Load(path, ','),
            DatasetFileFormat.Tsv => DelimitedLoader.Load(path, '\t'),
            DatasetFileFormat.TextLines => TextLoader.Lines(path),
            DatasetFileFormat.TextDocument => [TextLoader.Document(path)],
            DatasetFileFormat.Parquet => ParquetLoader.Stream(path),
            DatasetFileFormat.Arrow => ArrowLoader.Stream(path),
            _ => throw new ArgumentOutOfRangeException(nameof(format)),
        };
    }

    /// <summary>Parses a format name as used in configs: json, jsonl, csv, tsv, text/txt (lines), text-document, parquet, arrow.</summary>
    public static DatasetFileFormat ParseFormat(string name) => name.Trim().ToLowerInvariant() switch
    {
        "" or "auto" => DatasetFileFormat.Auto,
        "json" => DatasetFileFormat.Json,
        "jsonl" or "ndjson" => DatasetFileFormat.Jsonl,
        "csv" => DatasetFileFormat.Csv,
        "tsv" => DatasetFileFormat.Tsv,
        "text" or "txt" or "text-lines" => DatasetFileFormat.TextLines,
        "text-document" or "document" => DatasetFileFormat.TextDocument,
        "parquet" or "pq" => DatasetFileFormat.Parquet,
        "arrow" or "ipc" or "feather" => DatasetFileFormat.Arrow,
        _ => throw new DataFormatException($"unknown file format '{name}'; use one of json, jsonl, csv, tsv, text, text-document, parquet, arrow", field: "format"),
    };

    public static DatasetFileFormat Detect(string path)
    {
        var ext = Path.GetExtension(path).ToLowerInvariant();
        return ext switch
        {
            ".json" => SniffJson(path),
            ".jsonl" or ".ndjson" => DatasetFileFormat.Jsonl,
            ".csv" => DatasetFileFormat.Csv,
            ".tsv" or ".tab" => DatasetFileFormat.Tsv,
            ".txt" or ".md" or ".text" => DatasetFileFormat.TextLines,
            ".parquet" or ".pq" => DatasetFileFormat.Parquet,
            ".arrow" or ".arrows" or ".feather" or ".ipc" => DatasetFileFormat.Arrow,
            _ => throw new DataFormatException($"cannot tell the format from the extension '{ext}'; pass it explicitly (json, jsonl, csv, tsv, text, parquet, arrow)", path),
        };
    }

    private static bool IsTextFolder(string dir, DatasetFileFormat format)
    {
        if (format is DatasetFileFormat.TextDocument or DatasetFileFormat.TextLines) return true;
        if (format != DatasetFileFormat.Auto || HfDatasetFolder.IsHfFolder(dir)) return false;
        var files = Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Where(f => !Path.GetFileName(f).StartsWith('.')).ToArray();
        return files.Length > 0 && files.All(f => f.EndsWith(".txt", StringComparison.OrdinalIgnoreCase));
    }

    private static Dataset LoadTextFolder(string path, DatasetFileFormat format)
    {
        var files = Directory.EnumerateFiles(path, "*.txt", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
        if (files.Length == 0) throw new DataFormatException("folder holds no .txt files", path);
        var rows = new List<JsonObject>();
        var starts = new List<(int, string)>();
        foreach (var f in files)
        {
            starts.Add((rows.Count, f));
            rows.AddRange(format == DatasetFileFormat.TextLines ? TextLoader.Lines(f) : [TextLoader.Document(f)]);
        }
        return new Dataset(rows, path, starts.ToArray());
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
