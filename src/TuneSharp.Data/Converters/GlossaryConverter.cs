// Expands glossaries into instruction pairs in both directions and both languages: rows with any of the column schemas
// seen in practice (term | kor_term + eng_term | 용어/영문, description | definition | 설명), several files, nested JSON.
using System.Text.Json.Nodes;

namespace TuneSharp.Data.Converters;

/// <summary>
/// Each entry yields "what is {term}?" → description for the Korean and (when present) English term, and
/// "which term is described as …?" → "{kor}, {eng}" (the seed's answer). Korean entries get Korean question templates. Column names are
/// found per row among <see cref="TermColumns"/>, <see cref="EnglishColumns"/> and <see cref="DescriptionColumns"/>
/// (or given explicitly). Entries with an empty term or description are reported with file and row and skipped; every
/// row also carries <c>context</c> = "{term}: {description}" as the seed builds it.
/// </summary>
public static class GlossaryConverter
{
    public const string DefaultForwardEnglish = "What does the term \"{term}\" mean?";
    public const string DefaultReverseEnglish = "Which term is described as follows? {description}";
    public const string DefaultForwardKorean = "'{term}'(이)란 무엇인가요?";
    public const string DefaultReverseKorean = "다음 설명에 해당하는 용어는 무엇인가요? {description}";

    public static readonly string[] TermColumns = ["term", "kor_term", "korean", "ko", "용어", "한글", "word", "name"];
    public static readonly string[] EnglishColumns = ["eng_term", "english", "en", "영문", "영어", "term_en"];
    public static readonly string[] DescriptionColumns = ["description", "definition", "desc", "meaning", "explanation", "설명", "정의", "뜻"];

    /// <summary>Which directions to emit.</summary>
    [Flags]
    public enum Directions { Forward = 1, Reverse = 2, Both = Forward | Reverse }

    /// <summary>Converts one loaded glossary (a dataset); <paramref name="termColumn"/> etc. override the detection.</summary>
    public static IReadOnlyList<JsonObject> Convert(Dataset glossary, string? termColumn = null, string? descriptionColumn = null,
        string? forwardTemplate = null, string? reverseTemplate = null, string? englishColumn = null, Directions directions = Directions.Both,
        Action<string>? warn = null)
    {
        ArgumentNullException.ThrowIfNull(glossary);
        var rows = new List<JsonObject>(glossary.Count * 2);
        int skipped = 0;
        for (int i = 0; i < glossary.Count; i++)
        {
            var where = RowLocation.Of(glossary.FileOf(i) ?? "glossary", glossary.RowInFile(i));
            var entry = glossary[i];
            var term = Field(entry, termColumn, TermColumns);
            var eng = Field(entry, englishColumn, EnglishColumns);
            var description = Field(entry, descriptionColumn, DescriptionColumns);
            if (term.Length == 0 && eng.Length > 0) (term, eng) = (eng, "");
            if (term.Length == 0 || description.Length == 0)
            {
                if (glossary.Count == 1 || (++skipped <= 5))
                    warn?.Invoke($"{where}: no {(term.Length == 0 ? $"term ({termColumn ?? string.Join("/", TermColumns.Take(3))})" : $"description ({descriptionColumn ?? string.Join("/", DescriptionColumns.Take(3))})")} " +
                                 $"in {{{string.Join(", ", entry.Select(p => p.Key))}}}; skipped");
                continue;
            }
            rows.AddRange(Expand(term, eng, description, forwardTemplate, reverseTemplate, directions));
        }
        if (skipped > 5) warn?.Invoke($"{skipped} entries of {glossary.Source} skipped in all (empty term or description)");
        return rows;
    }

    /// <summary>Converts several glossary files (JSON, JSONL, CSV, TSV, Parquet …), each with its own schema; nested JSON is flattened.</summary>
    public static IReadOnlyList<JsonObject> ConvertFiles(IEnumerable<string> paths, string? termColumn = null, string? descriptionColumn = null,
        string? englishColumn = null, Directions directions = Directions.Both, Action<string>? warn = null)
    {
        var rows = new List<JsonObject>();
        foreach (var path in paths)
        {
            var ds = Load(path);
            var converted = Convert(ds, termColumn, descriptionColumn, null, null, englishColumn, directions, warn);
            if (converted.Count == 0) warn?.Invoke($"{path}: no glossary entries found (expected columns like term/kor_term/eng_term and description)");
            rows.AddRange(converted);
        }
        return rows;
    }

    /// <summary>The entries of a glossary file; JSON files may nest entries at any depth (e.g. by category).</summary>
    public static Dataset Load(string path)
    {
        var ext = Path.GetExtension(path).ToLowerInvariant();
        if (ext != ".json") return Loading.DatasetFiles.Load(path);
        JsonNode? root;
        try { root = JsonNode.Parse(File.ReadAllBytes(path), documentOptions: new System.Text.Json.JsonDocumentOptions { AllowTrailingCommas = true, MaxDepth = 256 }); }
        catch (System.Text.Json.JsonException e)
        {
            throw new DataFormatException($"invalid JSON ({e.Message})", path, (e.LineNumber ?? 0) + 1, inner: e);
        }
        var entries = new List<JsonObject>();
        Collect(root, null, entries);
        return new Dataset(entries, path);
    }

    // An object with a description-like field is an entry; a category key above it becomes its "category".
    private static void Collect(JsonNode? node, string? category, List<JsonObject> into)
    {
        switch (node)
        {
            case JsonObject o when DescriptionColumns.Any(c => o[c] is JsonValue) || (o.Count > 0 && o.All(p => p.Value is JsonValue) && TermColumns.Concat(EnglishColumns).Any(c => o[c] is JsonValue)):
            {
                var entry = (JsonObject)o.DeepClone();
                if (category != null && !entry.ContainsKey("category")) entry["category"] = category;
                into.Add(entry);
                break;
            }
            case JsonObject o:
                foreach (var (k, v) in o) Collect(v, v is JsonArray or JsonObject ? k : category, into);
                break;
            case JsonArray a:
                foreach (var v in a) Collect(v, category, into);
                break;
        }
    }

    private static string Field(JsonObject row, string? explicitName, string[] candidates)
    {
        if (explicitName != null) return row[explicitName] is JsonValue v ? v.ToString().Trim() : "";
        foreach (var c in candidates)
            if (row[c] is JsonValue v && v.ToString().Trim() is { Length: > 0 } s) return s;
        foreach (var (k, v) in row) // case-insensitive second chance (Term, Description)
            if (v is JsonValue jv && candidates.Contains(k.ToLowerInvariant()) && jv.ToString().Trim() is { Length: > 0 } s) return s;
        return "";
    }

    private static IEnumerable<JsonObject> Expand(string term, string eng, string description, string? forward, string? reverse, Directions directions)
    {
        bool korean = term.Any(Augmentation.HangulSyllable.IsSyllable) || description.Any(Augmentation.HangulSyllable.IsSyllable);
        var fwd = forward ?? (korean ? DefaultForwardKorean : DefaultForwardEnglish);
        var rev = reverse ?? (korean ? DefaultReverseKorean : DefaultReverseEnglish);
        var context = $"{term}: {description}";
        if (directions.HasFlag(Directions.Forward))
        {
            yield return Row(Fill(fwd, term, description), description, context);
            if (eng.Length > 0 && eng != term) yield return Row(Fill(fwd, eng, description), description, context);
        }
        if (directions.HasFlag(Directions.Reverse))
            yield return Row(Fill(rev, term, description), eng.Length > 0 && eng != term ? $"{term}, {eng}" : term, context);
    }

    private static JsonObject Row(string instruction, string output, string context) =>
        new() { ["instruction"] = instruction, ["input"] = "", ["output"] = output, ["context"] = context };

    private static string Fill(string template, string term, string description)
        => template.Replace("{term}", term, StringComparison.Ordinal).Replace("{description}", description, StringComparison.Ordinal);
}
