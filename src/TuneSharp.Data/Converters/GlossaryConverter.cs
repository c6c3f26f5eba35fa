// Expands a glossary (term, description) into instruction pairs in both directions.
using System.Text.Json.Nodes;

namespace TuneSharp.Data.Converters;

/// <summary>
/// Each glossary entry yields two rows: "what is {term}?" → description, and "which term means {description}?" → term.
/// Korean terms get Korean question templates. Templates are overridable; they use {term} and {description}.
/// </summary>
public static class GlossaryConverter
{
    public const string DefaultForwardEnglish = "What does the term \"{term}\" mean?";
    public const string DefaultReverseEnglish = "Which term is described as follows? {description}";
    public const string DefaultForwardKorean = "'{term}'(이)란 무엇인가요?";
    public const string DefaultReverseKorean = "다음 설명에 해당하는 용어는 무엇인가요? {description}";

    public static IReadOnlyList<JsonObject> Convert(Dataset glossary, string termColumn = "term", string descriptionColumn = "description",
        string? forwardTemplate = null, string? reverseTemplate = null)
    {
        var rows = new List<JsonObject>(glossary.Count * 2);
        for (int i = 0; i < glossary.Count; i++)
        {
            var term = glossary.GetString(i, termColumn).Trim();
            var description = glossary.GetString(i, descriptionColumn).Trim();
            if (term.Length == 0 || description.Length == 0)
                throw new DataFormatException($"row {i} has an empty {(term.Length == 0 ? termColumn : descriptionColumn)}", glossary.Source, field: term.Length == 0 ? termColumn : descriptionColumn);
            bool korean = term.Any(Augmentation.HangulSyllable.IsSyllable) || description.Any(Augmentation.HangulSyllable.IsSyllable);
            var forward = forwardTemplate ?? (korean ? DefaultForwardKorean : DefaultForwardEnglish);
            var reverse = reverseTemplate ?? (korean ? DefaultReverseKorean : DefaultReverseEnglish);
            rows.Add(new JsonObject { ["instruction"] = Fill(forward, term, description), ["input"] = "", ["output"] = description });
            rows.Add(new JsonObject { ["instruction"] = Fill(reverse, term, description), ["input"] = "", ["output"] = term });
        }
        return rows;
    }

    private static string Fill(string template, string term, string description)
        => template.Replace("{term}", term, StringComparison.Ordinal).Replace("{description}", description, StringComparison.Ordinal);
}
