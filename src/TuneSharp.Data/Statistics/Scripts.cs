// Which writing system a row's text is in, by counting letters per Unicode script over every string value.
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TuneSharp.Data.Statistics;

public static class Scripts
{
    /// <summary>The dominant script of the row's letters ("none" without letters) and whether a second one has ≥ 10% of them.</summary>
    public static (string Script, bool Mixed) Classify(JsonObject row)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        Count(row, counts);
        int total = counts.Values.Sum();
        if (total == 0) return ("none", false);
        var ordered = counts.OrderByDescending(kv => kv.Value).ToArray();
        return (ordered[0].Key, ordered.Length > 1 && ordered[1].Value * 10 >= total);
    }

    public static string Of(int codePoint) => codePoint switch
    {
        >= 0xAC00 and <= 0xD7A3 or >= 0x1100 and <= 0x11FF or >= 0x3130 and <= 0x318F => "Korean",
        >= 0x3040 and <= 0x30FF => "Japanese kana",
        >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF => "Han",
        >= 0x0400 and <= 0x04FF => "Cyrillic",
        < 0x0250 => "Latin",
        _ => "other",
    };

    private static void Count(JsonNode? node, Dictionary<string, int> counts)
    {
        switch (node)
        {
            case JsonObject o: foreach (var (_, v) in o) Count(v, counts); break;
            case JsonArray a: foreach (var v in a) Count(v, counts); break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                foreach (var r in v.GetValue<string>().EnumerateRunes())
                {
                    if (!System.Text.Rune.IsLetter(r)) continue;
                    var s = Of(r.Value);
                    counts[s] = counts.GetValueOrDefault(s) + 1;
                }
                break;
        }
    }
}
