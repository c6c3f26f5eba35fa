// Multiplies a restoration dataset by Hangul obfuscation: keeps the original rows (as the review-restoration seed trains
// on both) and adds seeded obfuscated copies at a ratio.
using System.Text.Json.Nodes;

namespace TuneSharp.Data.Augmentation;

public static class DatasetAugmenter
{
    /// <summary>
    /// For each row: the original (when <paramref name="keepOriginals"/>; a row lacking <paramref name="target"/> gets
    /// it filled with the clean text, an identity pair), then ⌊ratio⌋ obfuscated copies plus one more with probability
    /// ratio − ⌊ratio⌋, each with <paramref name="target"/> = obfuscated <paramref name="column"/>. Seeded and reproducible.
    /// Rows without a usable <paramref name="column"/> are reported (file and row) and passed through unchanged.
    /// </summary>
    public static IReadOnlyList<JsonObject> Augment(Dataset dataset, string column, string target, HangulObfuscator obfuscator,
        ulong seed, double ratio, bool keepOriginals = true, Action<string>? warn = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(obfuscator);
        if (!(ratio >= 0) || double.IsInfinity(ratio)) throw new DataFormatException($"ratio must be ≥ 0 (got {ratio})", field: "ratio");
        if (!keepOriginals && ratio == 0) throw new DataFormatException("with --no-keep-originals and ratio 0 nothing would be written; raise --ratio", field: "ratio");
        var rng = new SplitMix64(seed);
        var rows = new List<JsonObject>((int)Math.Min(int.MaxValue, dataset.Count * (ratio + 1) + 1));
        int whole = (int)Math.Floor(ratio);
        double fraction = ratio - whole;
        int bad = 0;
        for (int i = 0; i < dataset.Count; i++)
        {
            var row = dataset[i];
            if (row[column] is not JsonValue v || v.ToString() is not { Length: > 0 } text)
            {
                if (++bad <= 5) warn?.Invoke($"{RowLocation.Of(dataset.FileOf(i), dataset.RowInFile(i))}: no text in column '{column}' (columns: {string.Join(", ", row.Select(p => p.Key))}); kept without copies");
                if (keepOriginals) rows.Add((JsonObject)row.DeepClone());
                continue;
            }
            if (keepOriginals)
            {
                var original = (JsonObject)row.DeepClone();
                if (original[target] is null) original[target] = text;
                rows.Add(original);
            }
            int copies = whole + (fraction > 0 && rng.NextDouble() < fraction ? 1 : 0);
            for (int k = 0; k < copies; k++)
            {
                var copy = (JsonObject)row.DeepClone();
                copy[target] = obfuscator.Obfuscate(text, rng);
                rows.Add(copy);
            }
        }
        if (bad > 5) warn?.Invoke($"{bad} rows in all had no text in column '{column}'");
        return rows;
    }
}
