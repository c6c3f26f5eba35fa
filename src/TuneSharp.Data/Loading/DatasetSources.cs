// Resolves what a user points at (files, globs, folders, HF dataset folders, a list of them, data_files per split) to
// split → files, following datasets.load_dataset: a bare path or list is the train split; data_files maps splits to patterns.
namespace TuneSharp.Data.Loading;

public static class DatasetSources
{
    /// <summary>
    /// Separator of several paths in one config string: the config binder joins a YAML list (<c>path: [a, b]</c>) with
    /// newlines, which never occur in real paths.
    /// </summary>
    public const char ListSeparator = '\n';

    /// <summary>The items of a path setting (a single path, or a YAML list joined with newlines).</summary>
    public static IReadOnlyList<string> SplitList(string? paths) =>
        paths is null ? [] : paths.Split(ListSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>data_files from a config mapping (split → one pattern, or a newline-joined list); null when empty.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>>? ParseDataFiles(IReadOnlyDictionary<string, string>? dataFiles) =>
        dataFiles is not { Count: > 0 } ? null : dataFiles.ToDictionary(kv => kv.Key, kv => SplitList(kv.Value), StringComparer.Ordinal);

    /// <summary>
    /// Split → files. <paramref name="dataFiles"/> (split → paths/globs, like load_dataset's data_files) wins; its
    /// relative patterns are resolved against the single folder in <paramref name="paths"/> if there is one, else
    /// <paramref name="baseDir"/>. Otherwise every file and glob in <paramref name="paths"/> is train, and each folder
    /// contributes its own splits (HF layouts, or split names in file names).
    /// </summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> Resolve(
        IReadOnlyList<string> paths, IReadOnlyDictionary<string, IReadOnlyList<string>>? dataFiles = null, string? baseDir = null)
    {
        if (dataFiles is { Count: > 0 })
        {
            string? root = paths.Count == 1 && Directory.Exists(Full(paths[0], baseDir)) ? Full(paths[0], baseDir) : baseDir;
            var result = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
            foreach (var (split, patterns) in dataFiles)
                result[split] = patterns.SelectMany(p => Expand(p, root, $"data_files.{split}")).Distinct().ToArray();
            return result;
        }
        if (paths.Count == 0) throw new DataFormatException("no dataset path given; set dataset.path (a file, folder, glob or list of them) or pass --data", field: "path");
        var merged = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var p in paths)
        {
            var full = Full(p, baseDir);
            IReadOnlyDictionary<string, IReadOnlyList<string>> part = Directory.Exists(full)
                ? HfDatasetFolder.Splits(full)
                : new Dictionary<string, IReadOnlyList<string>> { ["train"] = Expand(p, baseDir, "path") };
            foreach (var (split, files) in part)
                (merged.TryGetValue(split, out var l) ? l : merged[split] = []).AddRange(files);
        }
        return merged.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)kv.Value.Distinct().ToArray(), StringComparer.Ordinal);
    }

    /// <summary>The files of one split; a missing split is an error listing the ones there are.</summary>
    public static IReadOnlyList<string> SplitFiles(IReadOnlyDictionary<string, IReadOnlyList<string>> splits, string split, string where)
    {
        if (splits.TryGetValue(split, out var files)) return files;
        // A source with a single split (e.g. only test files) serves any request for "train".
        if (split == "train" && splits.Count == 1) return splits.Values.First();
        var hint = Suggest.Closest(split, splits.Keys.ToArray());
        throw new DataFormatException($"has no split '{split}' (splits: {string.Join(", ", splits.Keys)}).{(hint is null ? "" : $" Did you mean '{hint}'?")}", where, field: "split");
    }

    private static string Full(string p, string? baseDir) => Path.IsPathRooted(p) || baseDir is null ? Path.GetFullPath(p) : Path.GetFullPath(Path.Combine(baseDir, p));

    private static IReadOnlyList<string> Expand(string p, string? baseDir, string field)
    {
        if (Glob.IsPattern(p))
        {
            var files = Glob.Expand(p, baseDir);
            if (files.Count == 0) throw new DataFormatException($"the pattern '{p}' matches no file{(baseDir is null ? "" : $" under {baseDir}")}", field: field);
            return files;
        }
        var full = Full(p, baseDir);
        if (Directory.Exists(full))
        {
            var splits = HfDatasetFolder.Splits(full);
            return splits.Values.SelectMany(f => f).ToArray();
        }
        if (!File.Exists(full)) throw new DataFormatException("file not found", full, field: field);
        return [full];
    }
}
