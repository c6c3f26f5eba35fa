// A JSON Schema subset compiled for constrained decoding (type, properties, required, additionalProperties, items,
// min/maxItems, min/maxLength, enum, const, anyOf/oneOf, local $ref into $defs/definitions), as OpenAI structured outputs use.
using System.Text.Encodings.Web;
using System.Text.Json;

namespace TuneSharp.Inference.Constrained;

/// <summary>
/// One schema node. Keywords outside the subset that only narrow strings or numbers (pattern, format, minimum, …) are
/// ignored: the output is still valid JSON of the right types and keys. Objects with <c>properties</c> accept only
/// those keys unless <c>additionalProperties</c> allows more (OpenAI strict mode requires false anyway).
/// </summary>
internal sealed class JsonSchemaNode
{
    [Flags]
    public enum Kinds
    {
        None = 0, Object = 1, Array = 2, String = 4, Number = 8, Integer = 16, Boolean = 32, Null = 64,
        Any = Object | Array | String | Number | Integer | Boolean | Null,
    }

    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public Kinds Allowed { get; private set; } = Kinds.Any;

    /// <summary>enum / const: the accepted values as compact JSON texts.</summary>
    public string[]? Literals { get; private set; }

    /// <summary>anyOf / oneOf alternatives (this node's own kinds are then unused).</summary>
    public List<JsonSchemaNode>? AnyOf { get; private set; }

    public Dictionary<string, JsonSchemaNode>? Properties { get; private set; }

    public HashSet<string> Required { get; } = new(StringComparer.Ordinal);

    /// <summary>Schema of keys outside <see cref="Properties"/>; null = no other keys.</summary>
    public JsonSchemaNode? Additional { get; private set; }

    public JsonSchemaNode? Items { get; private set; }

    public int MinItems { get; private set; }

    public int MaxItems { get; private set; } = int.MaxValue;

    public int MinLength { get; private set; }

    public int MaxLength { get; private set; } = int.MaxValue;

    /// <summary>Any JSON value.</summary>
    public static JsonSchemaNode Any() => new() { Additional = null, Allowed = Kinds.Any, AnyObject = true };

    /// <summary>Any JSON object (response_format json_object).</summary>
    public static JsonSchemaNode ObjectWithAnyKeys() => new() { Allowed = Kinds.Object, AnyObject = true };

    /// <summary>True when the object takes any key with any value.</summary>
    public bool AnyObject { get; private set; }

    public JsonSchemaNode PropertySchema(string key) =>
        Properties != null && Properties.TryGetValue(key, out var p) ? p : Additional ?? Any();

    /// <summary>Compiles a schema document; throws <see cref="InvalidRequestException"/> naming the bad keyword.</summary>
    public static JsonSchemaNode Parse(JsonElement schema)
    {
        var refs = new Dictionary<string, JsonSchemaNode>(StringComparer.Ordinal);
        var node = new JsonSchemaNode();
        Fill(node, schema, schema, refs, "#", 0);
        return node;
    }

    private static void Fill(JsonSchemaNode n, JsonElement e, JsonElement root, Dictionary<string, JsonSchemaNode> refs, string path, int depth)
    {
        if (depth > 64) throw Bad(path, "nests deeper than 64 levels");
        if (e.ValueKind == JsonValueKind.True) { n.Allowed = Kinds.Any; n.AnyObject = true; return; }
        if (e.ValueKind != JsonValueKind.Object) throw Bad(path, "must be an object (or true)");
        if (e.TryGetProperty("$ref", out var r))
        {
            var target = Resolve(root, r.GetString() ?? "", path);
            var key = r.GetString()!;
            if (!refs.TryGetValue(key, out var shared))
            {
                shared = new JsonSchemaNode();
                refs[key] = shared;
                Fill(shared, target, root, refs, key, depth + 1);
            }
            n.AnyOf = [shared];
            return;
        }
        foreach (var kw in new[] { "anyOf", "oneOf" })
            if (e.TryGetProperty(kw, out var alts))
            {
                if (alts.ValueKind != JsonValueKind.Array || alts.GetArrayLength() == 0) throw Bad(path, $"{kw} must be a non-empty array");
                n.AnyOf = [];
                int i = 0;
                foreach (var a in alts.EnumerateArray())
                {
                    var c = new JsonSchemaNode();
                    Fill(c, a, root, refs, $"{path}/{kw}/{i++}", depth + 1);
                    n.AnyOf.Add(c);
                }
                return;
            }
        if (e.TryGetProperty("enum", out var en))
        {
            if (en.ValueKind != JsonValueKind.Array || en.GetArrayLength() == 0) throw Bad(path, "enum must be a non-empty array");
            n.Literals = en.EnumerateArray().Select(Compact).Distinct().ToArray();
            return;
        }
        if (e.TryGetProperty("const", out var cst)) { n.Literals = [Compact(cst)]; return; }
        if (e.TryGetProperty("type", out var type))
        {
            n.Allowed = Kinds.None;
            if (type.ValueKind == JsonValueKind.String) n.Allowed = KindOf(type.GetString(), path);
            else if (type.ValueKind == JsonValueKind.Array)
                foreach (var t in type.EnumerateArray()) n.Allowed |= KindOf(t.ValueKind == JsonValueKind.String ? t.GetString() : null, path);
            else throw Bad(path, "type must be a string or an array of strings");
            if (n.Allowed.HasFlag(Kinds.Number)) n.Allowed |= Kinds.Integer;
        }
        if (e.TryGetProperty("properties", out var props))
        {
            if (props.ValueKind != JsonValueKind.Object) throw Bad(path, "properties must be an object");
            n.Properties = new Dictionary<string, JsonSchemaNode>(StringComparer.Ordinal);
            foreach (var p in props.EnumerateObject())
            {
                if (p.Name.Length == 0 || p.Name.Any(ch => ch is '"' or '\\' || ch < ' ')) throw Bad(path, $"property name '{p.Name}' needs escaping, which constrained decoding does not produce; rename it");
                var c = new JsonSchemaNode();
                Fill(c, p.Value, root, refs, $"{path}/properties/{p.Name}", depth + 1);
                n.Properties[p.Name] = c;
            }
        }
        if (e.TryGetProperty("required", out var req))
        {
            if (req.ValueKind != JsonValueKind.Array) throw Bad(path, "required must be an array of property names");
            foreach (var q in req.EnumerateArray())
            {
                var name = q.ValueKind == JsonValueKind.String ? q.GetString()! : throw Bad(path, "required must hold strings");
                if (n.Properties != null && !n.Properties.ContainsKey(name)) throw Bad(path, $"required property '{name}' is not in properties");
                n.Required.Add(name);
            }
        }
        if (e.TryGetProperty("additionalProperties", out var add))
        {
            if (add.ValueKind == JsonValueKind.False) n.Additional = null;
            else if (add.ValueKind == JsonValueKind.True) n.Additional = Any();
            else { n.Additional = new JsonSchemaNode(); Fill(n.Additional, add, root, refs, path + "/additionalProperties", depth + 1); }
        }
        else if (n.Properties == null) n.AnyObject = true;
        if (e.TryGetProperty("items", out var items))
        {
            n.Items = new JsonSchemaNode();
            Fill(n.Items, items, root, refs, path + "/items", depth + 1);
        }
        n.MinItems = Count(e, "minItems", 0, path);
        n.MaxItems = Count(e, "maxItems", int.MaxValue, path);
        n.MinLength = Count(e, "minLength", 0, path);
        n.MaxLength = Count(e, "maxLength", int.MaxValue, path);
        if (n.MinItems > n.MaxItems) throw Bad(path, "minItems > maxItems");
        if (n.MinLength > n.MaxLength) throw Bad(path, "minLength > maxLength");
    }

    private static int Count(JsonElement e, string name, int dflt, string path)
    {
        if (!e.TryGetProperty(name, out var v)) return dflt;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int x) || x < 0) throw Bad(path, $"{name} must be a non-negative integer");
        return x;
    }

    private static Kinds KindOf(string? t, string path) => t switch
    {
        "object" => Kinds.Object,
        "array" => Kinds.Array,
        "string" => Kinds.String,
        "number" => Kinds.Number,
        "integer" => Kinds.Integer,
        "boolean" => Kinds.Boolean,
        "null" => Kinds.Null,
        _ => throw Bad(path, $"unknown type '{t}' (object, array, string, number, integer, boolean, null)"),
    };

    private static JsonElement Resolve(JsonElement root, string reference, string path)
    {
        if (reference == "#") return root;
        if (!reference.StartsWith("#/", StringComparison.Ordinal)) throw Bad(path, $"$ref '{reference}' is not local (only '#/…' references into this schema are supported)");
        var cur = root;
        foreach (var raw in reference[2..].Split('/'))
        {
            var part = raw.Replace("~1", "/").Replace("~0", "~");
            if (cur.ValueKind != JsonValueKind.Object || !cur.TryGetProperty(part, out cur)) throw Bad(path, $"$ref '{reference}' does not resolve");
        }
        return cur;
    }

    private static string Compact(JsonElement v) => v.ValueKind == JsonValueKind.String
        ? JsonSerializer.Serialize(v.GetString(), Relaxed)
        : JsonSerializer.Serialize(v, Relaxed);

    private static InvalidRequestException Bad(string path, string what) =>
        new($"response_format json_schema: {path} {what}", "response_format");
}
