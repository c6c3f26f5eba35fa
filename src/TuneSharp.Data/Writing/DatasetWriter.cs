// Saves rows in the format named by the output's extension: .parquet (Parquet.Net), .jsonl/.json (JSON Lines).
using System.Text.Json.Nodes;

namespace TuneSharp.Data.Writing;

public static class DatasetWriter
{
    /// <summary>Writes atomically; .parquet gets an inferred schema, anything else (.jsonl, .json) one JSON object per line.</summary>
    public static void Write(string path, IReadOnlyList<JsonObject> rows, string? source = null)
    {
        var ext = Path.GetExtension(path).ToLowerInvariant();
        switch (ext)
        {
            case ".parquet" or ".pq":
                ParquetDatasetWriter.Write(path, rows);
                break;
            case ".jsonl" or ".ndjson" or ".json":
                new Dataset(rows, source).SaveJsonl(path);
                break;
            default:
                throw new DataFormatException($"cannot write '{ext}' files; name the output .jsonl or .parquet", path);
        }
    }
}
