// Reads plain text for continued pre-training: one example per line or one per file (column "text").
using System.Text.Json.Nodes;

namespace TuneSharp.Data.Loading;

internal static class TextLoader
{
    public static IReadOnlyList<JsonObject> Lines(string path)
        => File.ReadLines(path).Where(l => !string.IsNullOrWhiteSpace(l)).Select(l => new JsonObject { ["text"] = l }).ToArray();

    public static JsonObject Document(string path)
        => new() { ["text"] = File.ReadAllText(path) };
}
