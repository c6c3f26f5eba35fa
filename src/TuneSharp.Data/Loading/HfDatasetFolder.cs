// Splits and data files of a Hugging Face dataset folder: save_to_disk (dataset_dict.json, state.json) or a Hub
// repository (README.md `configs`, else split names in file/folder names, as datasets/data_files.py infers them).
using System.Text.Json;
using System.Text.RegularExpressions;

namespace TuneSharp.Data.Loading;

public static partial class HfDatasetFolder
{
    /// <summary>Split keywords (datasets' SPLIT_KEYWORDS): a file or folder named with one of these belongs to that split.</summary>
    public static readonly IReadOnlyList<(string Split, string[] Keywords)> SplitKeywords =
    [
        ("train", ["train", "training"]),
        ("validation", ["validation", "valid", "dev", "val"]),
        ("test", ["test", "testing", "eval", "evaluation"]),
    ];

    private static readonly string[] DataExtensions = [".parquet", ".arrow", ".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".txt"];
    private static readonly string[] MetadataFiles = ["dataset_info.json", "state.json", "dataset_dict.json", "dataset_infos.json"];

    /// <summary>Split → data files (in order) of the folder; throws when it holds no data files.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> Splits(string dir)
    {
        var dict = Path.Combine(dir, "dataset_dict.json");
        if (File.Exists(dict)) return SaveToDiskDict(dir, dict);
        if (File.Exists(Path.Combine(dir, "state.json"))) return new Dictionary<string, IReadOnlyList<string>> { ["train"] = SaveToDiskSplit(dir) };
        var readme = Path.Combine(dir, "README.md");
        if (File.Exists(readme) && ReadmeDataFiles(File.ReadAllText(readme)) is { Count: > 0 } configured)
        {
            var result = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
            foreach (var (split, patterns) in configured)
            {
                var files = patterns.SelectMany(p => Glob.IsPattern(p) ? Glob.Expand(p, dir) : [Path.Combine(dir, p)]).Distinct().ToArray();
                if (files.Length == 0) throw new DataFormatException($"README.md configs name data_files '{string.Join(", ", patterns)}' for split '{split}', but no file matches", dir);
                result[split] = files;
            }
            return result;
        }
        var all = Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .Where(f => IsDataFile(dir, f)).Order(StringComparer.Ordinal).ToArray();
        if (all.Length == 0)
            throw new DataFormatException($"folder holds no data files ({string.Join(", ", DataExtensions)}) and no dataset_dict.json/state.json", dir);
        return InferSplits(dir, all);
    }

    /// <summary>datasets' default patterns: a split keyword as a folder name, or delimited by [-._ 0-9] in a file name.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> InferSplits(string dir, IReadOnlyList<string> files)
    {
        var result = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var f in files)
        {
            var rel = Path.GetRelativePath(dir, f).Replace('\\', '/').Split('/');
            var tokens = rel[..^1].Select(s => s.ToLowerInvariant())
                .Concat(Delimiters().Split(Path.GetFileNameWithoutExtension(rel[^1]).ToLowerInvariant())).ToHashSet();
            foreach (var (split, keywords) in SplitKeywords)
            {
                if (!keywords.Any(tokens.Contains)) continue;
                (result.TryGetValue(split, out var l) ? l : result[split] = []).Add(f);
                break;
            }
        }
        // No file names a split: everything is train (datasets does the same).
        if (result.Count == 0) return new Dictionary<string, IReadOnlyList<string>> { ["train"] = files };
        return result.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)kv.Value, StringComparer.Ordinal);
    }

    public static bool IsHfFolder(string dir) =>
        File.Exists(Path.Combine(dir, "dataset_dict.json")) || File.Exists(Path.Combine(dir, "state.json"))
        || Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Any(f => f.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".arrow", StringComparison.OrdinalIgnoreCase));

    private static bool IsDataFile(string dir, string f)
    {
        var rel = Path.GetRelativePath(dir, f).Replace('\\', '/');
        if (rel.Split('/').Any(s => s.StartsWith('.'))) return false;
        var name = Path.GetFileName(f);
        if (MetadataFiles.Contains(name, StringComparer.OrdinalIgnoreCase) || name.Equals("README.md", StringComparison.OrdinalIgnoreCase)) return false;
        return DataExtensions.Contains(Path.GetExtension(f).ToLowerInvariant());
    }

    private static IReadOnlyDictionary<string, IReadOnlyList<string>> SaveToDiskDict(string dir, string dictPath)
    {
        string[] splits;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(dictPath));
            splits = doc.RootElement.GetProperty("splits").EnumerateArray().Select(e => e.GetString()!).ToArray();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new DataFormatException($"expected {{\"splits\": [\"train\", …]}} ({e.Message})", dictPath, inner: e);
        }
        var result = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var s in splits)
        {
            var sub = Path.Combine(dir, s);
            if (!Directory.Exists(sub)) throw new DataFormatException($"names split '{s}' but folder {sub} is missing", dictPath);
            result[s] = SaveToDiskSplit(sub);
        }
        return result;
    }

    // state.json lists the shards in order under _data_files; fall back to the data-*.arrow files when absent.
    private static IReadOnlyList<string> SaveToDiskSplit(string dir)
    {
        var state = Path.Combine(dir, "state.json");
        if (File.Exists(state))
        {
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllBytes(state));
                if (doc.RootElement.TryGetProperty("_data_files", out var files))
                {
                    var list = files.EnumerateArray().Select(f => Path.Combine(dir, f.GetProperty("filename").GetString()!)).ToArray();
                    foreach (var f in list) if (!File.Exists(f)) throw new DataFormatException($"lists shard {Path.GetFileName(f)}, which is missing", state);
                    if (list.Length > 0) return list;
                }
            }
            catch (JsonException e) { throw new DataFormatException($"invalid JSON ({e.Message})", state, inner: e); }
        }
        var arrows = Directory.EnumerateFiles(dir, "*.arrow").Order(StringComparer.Ordinal).ToArray();
        if (arrows.Length == 0) throw new DataFormatException("save_to_disk folder holds no .arrow shards", dir);
        return arrows;
    }

    /// <summary>
    /// The default config's data_files from a dataset card's YAML front matter, in the shapes the Hub writes:
    /// <c>configs: [{config_name: default, data_files: [{split: train, path: data/train-*}, …]}]</c>, a path list per split,
    /// or a bare <c>data_files: pattern</c> (train). Other configs are ignored.
    /// </summary>
    public static IReadOnlyList<(string Split, IReadOnlyList<string> Patterns)> ReadmeDataFiles(string readme)
    {
        var lines = readme.Replace("\r", "").Split('\n');
        if (lines.Length == 0 || lines[0].Trim() != "---") return [];
        int end = Array.FindIndex(lines, 1, l => l.Trim() == "---");
        if (end < 0) return [];
        var result = new List<(string, IReadOnlyList<string>)>();
        int i = Array.FindIndex(lines, 1, end - 1, l => l.StartsWith("configs:", StringComparison.Ordinal));
        if (i < 0) return [];
        bool inDefault = false, seenConfig = false, inDataFiles = false;
        string? split = null;
        List<string>? paths = null;
        void Flush()
        {
            if (split != null && paths is { Count: > 0 }) result.Add((split, paths.ToArray()));
            split = null; paths = null;
        }
        for (int k = i + 1; k < end; k++)
        {
            var raw = lines[k];
            if (raw.Length > 0 && !char.IsWhiteSpace(raw[0]) && raw[0] != '-') break; // next top-level key
            var t = raw.Trim();
            if (t.StartsWith("- config_name:", StringComparison.Ordinal))
            {
                Flush();
                if (seenConfig && inDefault) break;
                var name = Unquote(t["- config_name:".Length..]);
                inDefault = name == "default" || !seenConfig;
                seenConfig = true;
                inDataFiles = false;
                continue;
            }
            if (!inDefault) continue;
            if (t.StartsWith("data_files:", StringComparison.Ordinal))
            {
                inDataFiles = true;
                var v = t["data_files:".Length..].Trim();
                if (v.Length > 0) { split = "train"; paths = ParseList(v); Flush(); }
                continue;
            }
            if (!inDataFiles) continue;
            if (t.StartsWith("- split:", StringComparison.Ordinal)) { Flush(); split = Unquote(t["- split:".Length..]); paths = []; }
            else if (t.StartsWith("path:", StringComparison.Ordinal)) { var v = t["path:".Length..].Trim(); if (v.Length > 0) (paths ??= []).AddRange(ParseList(v)); }
            else if (t.StartsWith("- ", StringComparison.Ordinal) && split != null) (paths ??= []).Add(Unquote(t[2..]));
            else if (!t.StartsWith('#') && t.Length > 0 && !t.StartsWith("- ", StringComparison.Ordinal) && !raw.StartsWith("    ", StringComparison.Ordinal)) inDataFiles = false;
        }
        Flush();
        return result;
    }

    private static List<string> ParseList(string v)
    {
        v = v.Trim();
        if (v.StartsWith('[') && v.EndsWith(']')) return v[1..^1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Unquote).ToList();
        return [Unquote(v)];
    }

    private static string Unquote(string s)
    {
        s = s.Trim();
        return s.Length >= 2 && (s[0] == '"' && s[^1] == '"' || s[0] == '\'' && s[^1] == '\'') ? s[1..^1] : s;
    }

    [GeneratedRegex("[-._ 0-9]+")]
    private static partial Regex Delimiters();
}
