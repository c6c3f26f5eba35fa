// Reads JSON Lines: one object per line; blank lines are skipped; errors name the line.
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TuneSharp.Data.Loading;

internal static class JsonlLoader
{
    public static IReadOnlyList<JsonObject> Load(string path) => Stream(path).ToList();

    /// <summary>Rows one line at a time (the file is never held whole).</summary>
    public static IEnumerable<JsonObject> Stream(string path)
    {
        long lineNumber = 0, row = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            row++;
            JsonNode? node;
            try
            {
                node = JsonNode.Parse(line, documentOptions: new JsonDocumentOptions { MaxDepth = 256, AllowDuplicateProperties = false });
            }
            catch (JsonException e)
            {
                throw new DataFormatException(
                    $"invalid JSON ({JsonLoader.StripLocation(e.Message)}) at column {(e.BytePositionInLine ?? 0) + 1}. Each line must be one complete JSON object; fix or remove this line.",
                    path, lineNumber, inner: e, row: row);
            }
            if (node is not JsonObject obj)
                throw new DataFormatException($"line holds {JsonLoader.Describe(node)}, expected one JSON object per line", path, lineNumber, row: row);
            yield return obj;
        }
    }
}
