// Reads a JSON dataset: an array of objects, or an object holding one (e.g. {"data": [...]}).
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TuneSharp.Data.Loading;

internal static class JsonLoader
{
    public static IReadOnlyList<JsonObject> Load(string path)
    {
        JsonNode? root;
        ReadOnlyMemory<byte> bytes = File.ReadAllBytes(path);
        if (bytes.Span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) bytes = bytes[3..]; // a UTF-8 BOM is allowed (Notepad writes one)
        try
        {
            root = JsonNode.Parse(bytes.Span, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip, MaxDepth = 256, AllowDuplicateProperties = false });
        }
        catch (JsonException e)
        {
            throw new DataFormatException($"invalid JSON ({StripLocation(e.Message)}) at line {(e.LineNumber ?? 0) + 1}, column {(e.BytePositionInLine ?? 0) + 1}. Fix the syntax, or use .jsonl for one object per line.",
                path, (e.LineNumber ?? 0) + 1, inner: e);
        }
        JsonArray array = root switch
        {
            JsonArray a => a,
            JsonObject o => FindArray(o, path),
            _ => throw new DataFormatException("top level must be an array of objects or an object holding one (e.g. {\"data\": [...]})", path),
        };
        var rows = new List<JsonObject>(array.Count);
        for (int i = 0; i < array.Count; i++)
        {
            if (array[i] is not JsonObject obj)
                throw new DataFormatException($"element {i} is {Describe(array[i])}, expected an object with named fields", path, field: $"[{i}]");
            array[i] = null; // detach so the row can live on its own
            rows.Add(obj);
        }
        return rows;
    }

    private static JsonArray FindArray(JsonObject o, string path)
    {
        foreach (var key in new[] { "data", "train", "examples", "rows", "records", "items" })
            if (o[key] is JsonArray a) return a;
        var arrays = o.Where(p => p.Value is JsonArray).ToArray();
        if (arrays.Length == 1) return (JsonArray)arrays[0].Value!;
        throw new DataFormatException(
            arrays.Length == 0
                ? "the top-level object holds no array of examples; expected e.g. {\"data\": [{...}, ...]}"
                : $"the top-level object holds several arrays ({string.Join(", ", arrays.Select(a => a.Key))}); name the one to use with a 'data' key",
            path);
    }

    internal static string Describe(JsonNode? node) => node switch
    {
        null => "null",
        JsonArray => "an array",
        JsonObject => "an object",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            JsonValueKind.True or JsonValueKind.False => "a boolean",
            _ => "a value",
        },
        _ => "a value",
    };

    internal static string StripLocation(string message)
    {
        // System.Text.Json appends " Path: $ | LineNumber: 0 | BytePositionInLine: 20." (0-based): the caller states the position itself.
        foreach (var marker in new[] { " Path:", " LineNumber:" })
        {
            int i = message.IndexOf(marker, StringComparison.Ordinal);
            if (i > 0) message = message[..i];
        }
        return message.TrimEnd('.', ' ');
    }
}
