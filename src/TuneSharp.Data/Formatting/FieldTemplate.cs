// A text template with {field} placeholders filled from a dataset row ({{ and }} stand for literal braces).
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TuneSharp.Data.Formatting;

public sealed class FieldTemplate
{
    private readonly List<(string Text, bool IsField)> _parts = [];

    /// <param name="template">The template text.</param>
    /// <param name="name">What the template is called in errors, e.g. "dataset.template".</param>
    /// <param name="requirePlaceholder">Reject a template without any {field}: it would give every row the same text.</param>
    public FieldTemplate(string template, string name = "template", bool requirePlaceholder = true)
    {
        ArgumentNullException.ThrowIfNull(template);
        Source = template;
        Name = name;
        var literal = new StringBuilder();
        for (int i = 0; i < template.Length; i++)
        {
            char c = template[i];
            if (c == '{' && i + 1 < template.Length && template[i + 1] == '{') { literal.Append('{'); i++; continue; }
            if (c == '}' && i + 1 < template.Length && template[i + 1] == '}') { literal.Append('}'); i++; continue; }
            if (c == '{')
            {
                int end = template.IndexOf('}', i + 1);
                string field = end < 0 ? "" : template[(i + 1)..end].Trim();
                if (end < 0 || field.Length == 0 || field.Contains('{'))
                    throw new DataFormatException(
                        $"{name} has an unclosed or empty placeholder at character {i + 1} (\"{Excerpt(template, i)}\"). Write placeholders as {{column_name}}, and double a brace ({{{{ or }}}}) for a literal one.",
                        field: name);
                if (literal.Length > 0) { _parts.Add((literal.ToString(), false)); literal.Clear(); }
                _parts.Add((field, true));
                i = end;
                continue;
            }
            literal.Append(c);
        }
        if (literal.Length > 0) _parts.Add((literal.ToString(), false));
        if (requirePlaceholder && Fields.Count == 0)
            throw new DataFormatException(
                $"{name} \"{Excerpt(template, 0)}\" has no {{field}} placeholder, so every row would get the same text. " +
                "Put the dataset column names in braces, e.g. \"### Question:\\n{question}\\n### Answer:\\n\" and a response template \"{answer}\".",
                field: name);
    }

    public string Source { get; }

    public string Name { get; }

    /// <summary>The placeholder names in order of first use.</summary>
    public IReadOnlyList<string> Fields => _parts.Where(p => p.IsField).Select(p => p.Text).Distinct().ToList();

    /// <summary>Fills the placeholders from <paramref name="row"/>; a missing or null field is an error naming it and the row.</summary>
    public string Fill(JsonObject row, string where)
    {
        var sb = new StringBuilder();
        foreach (var (text, isField) in _parts)
        {
            if (!isField) { sb.Append(text); continue; }
            sb.Append(FieldText(row, text, where, Name));
        }
        return sb.ToString();
    }

    /// <summary>The text of a row's field; strings as is, numbers/booleans as JSON, arrays/objects as compact JSON.</summary>
    public static string FieldText(JsonObject row, string field, string where, string usedBy)
    {
        if (!row.TryGetPropertyValue(field, out var node) || node is null)
        {
            var columns = row.Select(p => p.Key).ToList();
            var hint = Suggest.Closest(field, columns) is { } s ? $" Did you mean '{s}'?" : "";
            throw new DataFormatException(
                $"{where}: {usedBy} needs the field '{field}', which this row {(node is null && row.ContainsKey(field) ? "has as null" : "does not have")} (columns: {string.Join(", ", columns)}).{hint} " +
                "Fix the data, or map a column to it (dataset.columns: {" + field + ": your_column}) or change the template.",
                field: field);
        }
        return node switch
        {
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            _ => node.ToJsonString(),
        };
    }

    private static string Excerpt(string s, int at)
    {
        var e = s.Substring(at, Math.Min(40, s.Length - at)).ReplaceLineEndings("\\n");
        return s.Length - at > 40 ? e + "…" : e;
    }
}
