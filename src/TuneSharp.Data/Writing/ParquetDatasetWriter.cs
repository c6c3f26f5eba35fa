// Writes rows (JSON objects) as a Parquet file with a schema inferred from the values: strings, integers, reals,
// booleans, lists of those, lists of structs (chat `messages`) and structs; anything deeper is stored as a JSON string.
using System.Text.Json;
using System.Text.Json.Nodes;
using Parquet.Schema;
using Parquet.Serialization;
using TuneSharp.Tensors.IO;

namespace TuneSharp.Data.Writing;

public static class ParquetDatasetWriter
{
    private enum Kind { Null, String, Long, Double, Bool, Json }

    /// <summary>Writes <paramref name="rows"/> to <paramref name="path"/> atomically (temp file + rename).</summary>
    public static void Write(string path, IReadOnlyList<JsonObject> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var columns = new List<string>();
        foreach (var r in rows) foreach (var (k, _) in r) if (!columns.Contains(k)) columns.Add(k);
        var fields = columns.Select(c => InferField(c, rows.Select(r => r[c]))).ToArray();
        var schema = new ParquetSchema(fields);
        var data = rows.Select(r => (IDictionary<string, object?>)fields.ToDictionary(f => f.Name, f => Convert(r[f.Name], f))).ToArray();
        AtomicFile.Write(path, fs => ParquetSerializer.SerializeUntypedAsync(data, schema, fs).GetAwaiter().GetResult());
    }

    private static Field InferField(string name, IEnumerable<JsonNode?> values)
    {
        var present = values.Where(v => v is not null).ToArray();
        if (present.Length > 0 && present.All(v => v is JsonArray))
        {
            var items = present.SelectMany(v => v!.AsArray()).ToArray();
            if (items.All(i => i is null or JsonObject) && items.Any(i => i is JsonObject))
            {
                var s = StructOf("element", items.OfType<JsonObject>());
                if (s != null) return new ListField(name, s);
            }
            var k = ScalarKind(items);
            if (k != Kind.Json) return new ListField(name, Scalar("element", k == Kind.Null ? Kind.String : k));
        }
        if (present.Length > 0 && present.All(v => v is JsonObject) && StructOf(name, present.Cast<JsonObject>()) is { } st) return st;
        var kind = ScalarKind(present);
        return Scalar(name, kind == Kind.Null ? Kind.String : kind);
    }

    // A struct of scalar fields (the shape of chat messages); null when a field is nested deeper.
    private static StructField? StructOf(string name, IEnumerable<JsonObject> objects)
    {
        var objs = objects.ToArray();
        var keys = new List<string>();
        foreach (var o in objs) foreach (var (k, _) in o) if (!keys.Contains(k)) keys.Add(k);
        if (keys.Count == 0) return null;
        var fields = new List<Field>();
        foreach (var k in keys)
        {
            var kind = ScalarKind(objs.Select(o => o[k]).Where(v => v is not null));
            if (kind == Kind.Json) return null;
            fields.Add(Scalar(k, kind == Kind.Null ? Kind.String : kind));
        }
        return new StructField(name, fields.ToArray());
    }

    private static Kind ScalarKind(IEnumerable<JsonNode?> values)
    {
        var kind = Kind.Null;
        foreach (var v in values)
        {
            if (v is null) continue;
            var k = v is JsonValue jv ? jv.GetValueKind() switch
            {
                JsonValueKind.String => Kind.String,
                JsonValueKind.True or JsonValueKind.False => Kind.Bool,
                JsonValueKind.Number => jv.TryGetValue<long>(out _) || IsIntegral(jv) ? Kind.Long : Kind.Double,
                _ => Kind.Json,
            } : Kind.Json;
            kind = (kind, k) switch
            {
                (Kind.Null, _) => k,
                _ when kind == k => kind,
                (Kind.Long, Kind.Double) or (Kind.Double, Kind.Long) => Kind.Double,
                _ => Kind.Json,
            };
            if (kind == Kind.Json) return kind;
        }
        return kind;
    }

    private static bool IsIntegral(JsonValue v) => v.ToJsonString() is var s && long.TryParse(s, out _);

    private static DataField Scalar(string name, Kind kind) => kind switch
    {
        Kind.Long => new DataField<long?>(name),
        Kind.Double => new DataField<double?>(name),
        Kind.Bool => new DataField<bool?>(name),
        _ => new DataField<string>(name, nullable: true), // String, and Json stored as its JSON text
    };

    private static object? Convert(JsonNode? v, Field f)
    {
        if (v is null) return null;
        switch (f)
        {
            // The untyped serializer wants typed lists: IDictionary items for structs, T for scalars.
            case ListField { Item: StructField } l:
                return v.AsArray().Select(i => (IDictionary<string, object?>)Convert(i, l.Item)!).ToList();
            case ListField { Item: DataField d } l when d.ClrType == typeof(long):
                return v.AsArray().Select(i => (long?)Convert(i, l.Item)).ToList();
            case ListField { Item: DataField d } l when d.ClrType == typeof(double):
                return v.AsArray().Select(i => (double?)Convert(i, l.Item)).ToList();
            case ListField { Item: DataField d } l when d.ClrType == typeof(bool):
                return v.AsArray().Select(i => (bool?)Convert(i, l.Item)).ToList();
            case ListField l: // Parquet.Net reads repeated strings as ReadOnlyMemory<char> and wants them back that way
                return v.AsArray().Select(i => Convert(i, l.Item) is string str ? (ReadOnlyMemory<char>?)str.AsMemory() : null).ToList();
            case StructField s:
            {
                var o = v.AsObject();
                return (IDictionary<string, object?>)s.Fields.ToDictionary(x => x.Name, x => Convert(o[x.Name], x));
            }
            case DataField d when d.ClrType == typeof(long): return v.GetValue<long>();
            case DataField d when d.ClrType == typeof(double): return v.AsValue().GetValue<double>();
            case DataField d when d.ClrType == typeof(bool): return v.GetValue<bool>();
            default:
                return v is JsonValue jv && jv.GetValueKind() == JsonValueKind.String ? jv.GetValue<string>() : v.ToJsonString();
        }
    }
}
