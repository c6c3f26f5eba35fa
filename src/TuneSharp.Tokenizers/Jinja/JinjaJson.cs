// tojson / printing of containers: json.dumps(ensure_ascii=False, sort_keys=False) layout as @huggingface/jinja's toJSON produces it (", " / ": " separators, "," with indent).
using System.Text;

namespace TuneSharp.Tokenizers.Jinja;

internal static class JinjaJson
{
    public static string Serialize(JinjaValue value, JinjaJsonOptions options, bool convertUndefinedToNull = true)
    {
        var sb = new StringBuilder();
        Write(sb, value, options, 0, convertUndefinedToNull);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, JinjaValue v, JinjaJsonOptions o, int depth, bool undefinedToNull)
    {
        JinjaSandbox.CheckStack();
        JinjaSandbox.CheckLength(sb.Length, "JSON text");
        string itemSep = o.ItemSeparator ?? (o.Indent is > 0 ? "," : ", ");
        string keySep = o.KeySeparator ?? ": ";
        switch (v.Kind)
        {
            case JinjaValueKind.None: sb.Append("null"); return;
            case JinjaValueKind.Undefined: sb.Append(undefinedToNull ? "null" : "undefined"); return;
            case JinjaValueKind.Boolean: sb.Append(v.AsBoolean ? "true" : "false"); return;
            case JinjaValueKind.Integer or JinjaValueKind.Float:
                sb.Append(double.IsFinite(v.AsNumber) ? JsText.NumberToString(v.AsNumber) : "null"); return;
            case JinjaValueKind.String:
                AppendString(sb, v.AsString, o.EnsureAscii); return;
            // The reference cannot serialize tuples (printing `(1, 2)` fails there too).
            case JinjaValueKind.List:
                {
                    var items = v.AsList;
                    bool pretty = o.Indent is > 0 && items.Count > 0;
                    string basePad = pretty ? "\n" + new string(' ', o.Indent!.Value * depth) : "";
                    string childPad = pretty ? basePad + new string(' ', o.Indent!.Value) : "";
                    sb.Append('[');
                    for (int i = 0; i < items.Count; i++)
                    {
                        if (i > 0) sb.Append(itemSep);
                        sb.Append(childPad);
                        Write(sb, items[i], o, depth + 1, undefinedToNull);
                    }
                    sb.Append(basePad).Append(']');
                    return;
                }
            case JinjaValueKind.Dict or JinjaValueKind.Namespace:
                {
                    IEnumerable<KeyValuePair<string, JinjaValue>> entries = v.AsDict;
                    if (o.SortKeys) entries = entries.OrderBy(kv => kv.Key, LocaleLikeComparer.Instance);
                    var list = entries.ToList();
                    bool pretty = o.Indent is > 0 && list.Count > 0;
                    string basePad = pretty ? "\n" + new string(' ', o.Indent!.Value * depth) : "";
                    string childPad = pretty ? basePad + new string(' ', o.Indent!.Value) : "";
                    sb.Append('{');
                    for (int i = 0; i < list.Count; i++)
                    {
                        if (i > 0) sb.Append(itemSep);
                        sb.Append(childPad);
                        AppendString(sb, list[i].Key, o.EnsureAscii);
                        sb.Append(keySep);
                        Write(sb, list[i].Value, o, depth + 1, undefinedToNull);
                    }
                    sb.Append(basePad).Append('}');
                    return;
                }
            default:
                throw new JinjaError($"Cannot convert to JSON: {v.TypeName}");
        }
    }

    private static void AppendString(StringBuilder sb, string s, bool ensureAscii)
    {
        if (!ensureAscii) { JsText.AppendJsonString(sb, s); return; }
        var tmp = new StringBuilder();
        JsText.AppendJsonString(tmp, s);
        sb.Append(JsText.MakeAsciiSafe(tmp.ToString()));
    }

    /// <summary>Approximates String#localeCompare (root collation) for sort_keys: case-insensitive first, lower case before upper on ties.</summary>
    private sealed class LocaleLikeComparer : IComparer<string>
    {
        public static readonly LocaleLikeComparer Instance = new();
        public int Compare(string? a, string? b)
        {
            int c = string.Compare(a, b, StringComparison.OrdinalIgnoreCase);
            return c != 0 ? c : -string.CompareOrdinal(a, b);
        }
    }
}
