// The interpreter's value model (undefined, none, booleans, integer/float numbers as doubles like the JS reference, strings, lists, dicts, namespaces, callables) and conversions from CLR/JSON values.
using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TuneSharp.Tokenizers.Jinja;

public sealed class JinjaValue
{
    public static readonly JinjaValue Undefined = new(JinjaValueKind.Undefined);
    public static readonly JinjaValue None = new(JinjaValueKind.None);
    public static readonly JinjaValue True = new(JinjaValueKind.Boolean) { _bool = true };
    public static readonly JinjaValue False = new(JinjaValueKind.Boolean) { _bool = false };

    private bool _bool;
    private double _number;
    private string? _text;
    private List<JinjaValue>? _items;
    private OrderedDictionary<string, JinjaValue>? _map;
    private JinjaCallable? _callable;

    private JinjaValue(JinjaValueKind kind) => Kind = kind;

    public JinjaValueKind Kind { get; }

    public bool IsUndefined => Kind == JinjaValueKind.Undefined;
    public bool IsNone => Kind == JinjaValueKind.None;
    public bool IsString => Kind == JinjaValueKind.String;
    public bool IsNumber => Kind is JinjaValueKind.Integer or JinjaValueKind.Float;
    public bool IsList => Kind is JinjaValueKind.List or JinjaValueKind.Tuple;
    /// <summary>Dict-like: a dict or a keyword-arguments bag (the reference's ObjectValue).</summary>
    public bool IsDict => Kind is JinjaValueKind.Dict or JinjaValueKind.KeywordArguments;
    /// <summary>Has named attributes: dicts and namespaces.</summary>
    public bool IsAttributeContainer => IsDict || Kind == JinjaValueKind.Namespace;

    public bool AsBoolean => _bool;
    public double AsNumber => _number;
    public string AsString => _text ?? throw new InvalidOperationException($"Jinja value is {Kind}, not String");
    public List<JinjaValue> AsList => _items ?? throw new InvalidOperationException($"Jinja value is {Kind}, not List");
    public OrderedDictionary<string, JinjaValue> AsDict => _map ?? throw new InvalidOperationException($"Jinja value is {Kind}, not Dict");
    internal JinjaCallable AsCallable => _callable ?? throw new InvalidOperationException($"Jinja value is {Kind}, not Function");

    public static JinjaValue FromBool(bool b) => b ? True : False;
    public static JinjaValue FromString(string s) => new(JinjaValueKind.String) { _text = s };
    public static JinjaValue FromInteger(double v) => new(JinjaValueKind.Integer) { _number = v };
    public static JinjaValue FromFloat(double v) => new(JinjaValueKind.Float) { _number = v };
    /// <summary>A number as the reference converts JS numbers: integral → Integer, otherwise Float.</summary>
    public static JinjaValue FromNumber(double v) => double.IsFinite(v) && Math.Floor(v) == v ? FromInteger(v) : FromFloat(v);
    public static JinjaValue FromList(List<JinjaValue> items) => new(JinjaValueKind.List) { _items = items };
    public static JinjaValue FromTuple(List<JinjaValue> items) => new(JinjaValueKind.Tuple) { _items = items };
    public static JinjaValue FromDict(OrderedDictionary<string, JinjaValue> map) => new(JinjaValueKind.Dict) { _map = map };
    internal static JinjaValue FromKeywordArguments(OrderedDictionary<string, JinjaValue> map) => new(JinjaValueKind.KeywordArguments) { _map = map };
    internal static JinjaValue FromNamespace(OrderedDictionary<string, JinjaValue> map) => new(JinjaValueKind.Namespace) { _map = map };
    internal static JinjaValue FromFunction(JinjaCallable f) => new(JinjaValueKind.Function) { _callable = f };

    /// <summary>Python truthiness as the reference implements it (empty list/dict/string, 0, none and undefined are false).</summary>
    public bool IsTruthy => Kind switch
    {
        JinjaValueKind.Undefined or JinjaValueKind.None => false,
        JinjaValueKind.Boolean => _bool,
        JinjaValueKind.Integer or JinjaValueKind.Float => _number != 0 && !double.IsNaN(_number),
        JinjaValueKind.String => _text!.Length > 0,
        JinjaValueKind.List or JinjaValueKind.Tuple => _items!.Count > 0,
        JinjaValueKind.Dict or JinjaValueKind.KeywordArguments => _map!.Count > 0,
        _ => true,
    };

    /// <summary>What `{{ value }}` prints (none and undefined print nothing, handled by the caller).</summary>
    public string ToOutputString() => Kind switch
    {
        JinjaValueKind.Float => FormatFloat(_number),
        JinjaValueKind.List or JinjaValueKind.Tuple or JinjaValueKind.Dict or JinjaValueKind.KeywordArguments or JinjaValueKind.Namespace
            => JinjaJson.Serialize(this, new JinjaJsonOptions(), convertUndefinedToNull: false),
        _ => ToRawString(),
    };

    /// <summary>The JS `String(value.value)` used by `~` and string `+`: floats print without ".0", containers like JS objects.</summary>
    internal string ToRawString() => Kind switch
    {
        JinjaValueKind.Undefined => "undefined",
        JinjaValueKind.None => "null",
        JinjaValueKind.Boolean => _bool ? "true" : "false",
        JinjaValueKind.Integer or JinjaValueKind.Float => JsText.NumberToString(_number),
        JinjaValueKind.String => _text!,
        // JS Array#toString joins each element's RuntimeValue#toString (containers as JSON, null as "null").
        JinjaValueKind.List or JinjaValueKind.Tuple => string.Join(",", _items!.Select(x => x.Kind switch
        {
            JinjaValueKind.Undefined => "undefined",
            JinjaValueKind.None => "null",
            _ => x.ToOutputString(),
        })),
        JinjaValueKind.Function => "[function]",
        _ => "[object Map]",
    };

    internal static string FormatFloat(double v)
    {
        if (v == 0 && double.IsNegative(v)) return "-0.0";
        if (double.IsFinite(v) && Math.Floor(v) == v && Math.Abs(v) < 1e21) return JsText.NumberToString(v) + ".0";
        return JsText.NumberToString(v);
    }

    public override string ToString() => Kind is JinjaValueKind.Undefined or JinjaValueKind.None ? "" : ToOutputString();

    /// <summary>Converts a CLR value: null, bool, numbers, string, JsonElement, JsonNode, IDictionary (string keys), IEnumerable, or an existing JinjaValue.</summary>
    public static JinjaValue FromObject(object? value)
    {
        switch (value)
        {
            case null: return None;
            case JinjaValue j: return j;
            case bool b: return FromBool(b);
            case string s: return FromString(s);
            case char c: return FromString(c.ToString());
            case int or long or short or byte or sbyte or uint or ulong or ushort or float or double or decimal:
                return FromNumber(Convert.ToDouble(value, CultureInfo.InvariantCulture));
            case JsonElement e: return FromJson(e);
            case JsonNode n: return FromJson(JsonSerializer.SerializeToElement(n));
            case IDictionary<string, object?> d:
                {
                    var map = new OrderedDictionary<string, JinjaValue>(StringComparer.Ordinal);
                    foreach (var kv in d) map[kv.Key] = FromObject(kv.Value);
                    return FromDict(map);
                }
            case IReadOnlyDictionary<string, string> d:
                {
                    var map = new OrderedDictionary<string, JinjaValue>(StringComparer.Ordinal);
                    foreach (var kv in d) map[kv.Key] = FromString(kv.Value);
                    return FromDict(map);
                }
            case IDictionary d:
                {
                    var map = new OrderedDictionary<string, JinjaValue>(StringComparer.Ordinal);
                    foreach (DictionaryEntry kv in d)
                        map[kv.Key as string ?? throw new ArgumentException($"Jinja dict keys must be strings, got {kv.Key.GetType().Name}")] = FromObject(kv.Value);
                    return FromDict(map);
                }
            case IEnumerable seq:
                {
                    var list = new List<JinjaValue>();
                    foreach (var item in seq) list.Add(FromObject(item));
                    return FromList(list);
                }
            default:
                throw new ArgumentException($"Cannot convert {value.GetType().Name} to a Jinja value");
        }
    }

    /// <summary>Converts parsed JSON like the reference's JSON.parse + convertToRuntimeValues (integral numbers → Integer; array-index-like keys first, as JS orders them).</summary>
    public static JinjaValue FromJson(JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Null: return None;
            case JsonValueKind.Undefined: return Undefined;
            case JsonValueKind.True: return True;
            case JsonValueKind.False: return False;
            case JsonValueKind.String: return FromString(e.GetString()!);
            case JsonValueKind.Number: return FromNumber(e.GetDouble());
            case JsonValueKind.Array:
                {
                    var list = new List<JinjaValue>(e.GetArrayLength());
                    foreach (var item in e.EnumerateArray()) list.Add(FromJson(item));
                    return FromList(list);
                }
            default:
                {
                    var indexKeys = new List<(uint Index, string Key, JsonElement Value)>();
                    var map = new OrderedDictionary<string, JinjaValue>(StringComparer.Ordinal);
                    var pending = new List<(string Key, JsonElement Value)>();
                    foreach (var p in e.EnumerateObject())
                    {
                        if (IsArrayIndex(p.Name, out uint idx)) indexKeys.Add((idx, p.Name, p.Value));
                        else pending.Add((p.Name, p.Value));
                    }
                    foreach (var (_, key, v) in indexKeys.OrderBy(k => k.Index)) map[key] = FromJson(v);
                    foreach (var (key, v) in pending) map[key] = FromJson(v);
                    return FromDict(map);
                }
        }
    }

    /// <summary>Parses a JSON document into a Jinja value.</summary>
    public static JinjaValue FromJson(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return FromJson(doc.RootElement);
    }

    private static bool IsArrayIndex(string key, out uint index)
    {
        index = 0;
        if (key.Length == 0 || key.Length > 10 || (key.Length > 1 && key[0] == '0')) return false;
        foreach (char c in key) if (!JsText.IsDigit(c)) return false;
        return uint.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out index) && index != uint.MaxValue;
    }

    /// <summary>Debug-friendly description used in error messages.</summary>
    internal string TypeName => Kind switch
    {
        JinjaValueKind.Undefined => "UndefinedValue",
        JinjaValueKind.None => "NullValue",
        JinjaValueKind.Boolean => "BooleanValue",
        JinjaValueKind.Integer => "IntegerValue",
        JinjaValueKind.Float => "FloatValue",
        JinjaValueKind.String => "StringValue",
        JinjaValueKind.List => "ArrayValue",
        JinjaValueKind.Tuple => "TupleValue",
        JinjaValueKind.Dict => "ObjectValue",
        JinjaValueKind.KeywordArguments => "KeywordArgumentsValue",
        JinjaValueKind.Namespace => "NamespaceValue",
        _ => "FunctionValue",
    };

    internal static string Describe(IEnumerable<JinjaValue> values)
    {
        var sb = new StringBuilder();
        foreach (var v in values) sb.Append(v.TypeName).Append(' ');
        return sb.ToString().TrimEnd();
    }
}
