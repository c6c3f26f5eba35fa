// A JsonElement paired with its JSONPath and source file, so every read can report exactly where bad input is.
using System.Text.Json;

namespace TuneSharp.Tokenizers.Internal;

internal readonly struct JsonNode
{
    public JsonNode(JsonElement element, string path, string? file)
    {
        Element = element;
        Path = path;
        File = file;
    }

    public JsonElement Element { get; }
    public string Path { get; }
    public string? File { get; }

    public JsonValueKind Kind => Element.ValueKind;
    public bool IsNull => Element.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined;

    public TokenizerFormatException Error(string message) => new(message, File, Path);

    public bool Has(string name) => Element.ValueKind == JsonValueKind.Object && Element.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null;

    public JsonNode? Get(string name)
    {
        if (Element.ValueKind != JsonValueKind.Object) throw Error($"expected an object, got {Element.ValueKind}");
        return Element.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? new JsonNode(v, Path + "." + name, File) : null;
    }

    public JsonNode Require(string name) => Get(name) ?? throw new TokenizerFormatException($"missing required field '{name}'", File, Path + "." + name);

    public JsonNode At(int index) => new(Element[index], $"{Path}[{index}]", File);

    public int Length => Element.ValueKind == JsonValueKind.Array ? Element.GetArrayLength() : throw Error($"expected an array, got {Element.ValueKind}");

    public IEnumerable<JsonNode> Items()
    {
        if (Element.ValueKind != JsonValueKind.Array) throw Error($"expected an array, got {Element.ValueKind}");
        int i = 0;
        foreach (var e in Element.EnumerateArray()) yield return new JsonNode(e, $"{Path}[{i++}]", File);
    }

    public IEnumerable<(string Name, JsonNode Value)> Properties()
    {
        if (Element.ValueKind != JsonValueKind.Object) throw Error($"expected an object, got {Element.ValueKind}");
        foreach (var p in Element.EnumerateObject()) yield return (p.Name, new JsonNode(p.Value, Path + "." + p.Name, File));
    }

    public string AsString() => Element.ValueKind == JsonValueKind.String ? Element.GetString()! : throw Error($"expected a string, got {Element.ValueKind}");

    public int AsInt()
    {
        if (Element.ValueKind == JsonValueKind.Number && Element.TryGetInt32(out var v)) return v;
        throw Error($"expected an integer, got {Element.ValueKind} {Element.GetRawText()}");
    }

    public double AsDouble() => Element.ValueKind == JsonValueKind.Number ? Element.GetDouble() : throw Error($"expected a number, got {Element.ValueKind}");

    public bool AsBool() => Element.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw Error($"expected a boolean, got {Element.ValueKind}"),
    };

    public string? OptString(string name) => Get(name)?.AsString();
    public bool OptBool(string name, bool fallback) => Get(name)?.AsBool() ?? fallback;
    public int? OptInt(string name) => Get(name)?.AsInt();
    public string TypeName(string what) => Get("type")?.AsString() ?? throw Error($"{what} has no 'type'");
}
