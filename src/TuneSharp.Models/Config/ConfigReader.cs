// Typed, error-reporting access to the fields of one HF config.json object.
using System.Globalization;
using System.Text.Json;

namespace TuneSharp.Models.Config;

/// <summary>Reads fields of a JSON object; every failure names the file and the field.</summary>
internal sealed class ConfigReader
{
    private readonly JsonElement _root;

    public ConfigReader(JsonElement root, string source)
    {
        Source = source;
        if (root.ValueKind != JsonValueKind.Object)
            throw new ConfigException($"{source}: the top level must be a JSON object (got {root.ValueKind})");
        _root = root;
    }

    public string Source { get; }

    public JsonElement Root => _root;

    /// <summary>True when the field exists and is not JSON null.</summary>
    public bool Has(string field) => _root.TryGetProperty(field, out var v) && v.ValueKind != JsonValueKind.Null;

    public bool TryGet(string field, out JsonElement value)
    {
        if (_root.TryGetProperty(field, out value) && value.ValueKind != JsonValueKind.Null) return true;
        value = default;
        return false;
    }

    public ConfigException Error(string field, string expectation, JsonElement? got = null)
    {
        var suffix = got is { } g ? $" (got {Show(g)})" : "";
        return new ConfigException($"{Source}: \"{field}\" {expectation}{suffix}");
    }

    public int RequiredPositiveInt(string field)
    {
        if (!TryGet(field, out var v)) throw Error(field, "is required (a positive integer)");
        return PositiveInt(field, v);
    }

    public int PositiveInt(string field, int fallback) => TryGet(field, out var v) ? PositiveInt(field, v) : fallback;

    public int? OptionalPositiveInt(string field) => TryGet(field, out var v) ? PositiveInt(field, v) : null;

    public int? OptionalNonNegativeInt(string field)
    {
        if (!TryGet(field, out var v)) return null;
        if (!TryInt(v, out var i) || i < 0) throw Error(field, "must be a non-negative integer", v);
        return i;
    }

    public double PositiveDouble(string field, double fallback)
    {
        if (!TryGet(field, out var v)) return fallback;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out var d) || !(d > 0) || double.IsInfinity(d))
            throw Error(field, "must be a positive number", v);
        return d;
    }

    public double? OptionalPositiveDouble(string field)
    {
        if (!TryGet(field, out _)) return null;
        return PositiveDouble(field, 1);
    }

    public bool Bool(string field, bool fallback)
    {
        if (!TryGet(field, out var v)) return fallback;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Error(field, "must be true or false", v),
        };
    }

    public string? OptionalString(string field)
    {
        if (!TryGet(field, out var v)) return null;
        if (v.ValueKind != JsonValueKind.String) throw Error(field, "must be a string", v);
        return v.GetString();
    }

    /// <summary>An int or a list of ints (eos_token_id may be either); empty when absent.</summary>
    public IReadOnlyList<int> IntOrIntList(string field)
    {
        if (!TryGet(field, out var v)) return [];
        if (TryInt(v, out var single))
        {
            if (single < 0) throw Error(field, "must be a non-negative integer or a list of them", v);
            return [single];
        }
        if (v.ValueKind != JsonValueKind.Array) throw Error(field, "must be an integer or a list of integers", v);
        var list = new List<int>();
        foreach (var item in v.EnumerateArray())
        {
            if (!TryInt(item, out var i) || i < 0) throw Error(field, "must be an integer or a list of non-negative integers", v);
            list.Add(i);
        }
        return list;
    }

    private int PositiveInt(string field, JsonElement v)
    {
        if (!TryInt(v, out var i) || i <= 0) throw Error(field, "must be a positive integer", v);
        ModelConfigLimits.CheckField(Source, field, i); // sizes are range-checked as read, before any array is sized by them
        return i;
    }

    /// <summary>Accepts JSON integers and integral floats like 128.0 (some exporters write those).</summary>
    private static bool TryInt(JsonElement v, out int value)
    {
        value = 0;
        if (v.ValueKind != JsonValueKind.Number) return false;
        if (v.TryGetInt32(out value)) return true;
        if (v.TryGetDouble(out var d) && d == Math.Floor(d) && d >= int.MinValue && d <= int.MaxValue)
        {
            value = (int)d;
            return true;
        }
        return false;
    }

    private static string Show(JsonElement v)
    {
        var raw = v.ValueKind == JsonValueKind.String ? "\"" + v.GetString() + "\"" : v.GetRawText();
        return raw.Length > 60 ? raw[..57] + "..." : raw;
    }

    public static string Invariant(double d) => d.ToString("R", CultureInfo.InvariantCulture);
}
