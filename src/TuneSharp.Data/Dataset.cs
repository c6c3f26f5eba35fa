// An in-memory table of records (JSON objects) with seeded, HF-datasets-style operations.
using System.Text.Json;
using System.Text.Json.Nodes;
using TuneSharp.Tensors.IO;

namespace TuneSharp.Data;

/// <summary>
/// Rows are <see cref="JsonObject"/>s so nested fields (chat <c>messages</c>, id lists) survive unchanged.
/// Operations return new datasets; row objects are shared where unchanged (select/shuffle/split are index views).
/// Shuffles and splits take a seed and are reproducible across runs and machines (own PRNG, not System.Random).
/// </summary>
public sealed class Dataset
{
    private readonly IReadOnlyList<JsonObject> _rows;
    // Where each run of rows came from when several files were loaded (start row, file); kept by Take and Concatenate.
    private readonly (int Start, string File)[]? _files;

    public Dataset(IReadOnlyList<JsonObject> rows, string? source = null)
    {
        _rows = rows;
        Source = source;
    }

    internal Dataset(IReadOnlyList<JsonObject> rows, string? source, (int Start, string File)[]? files) : this(rows, source) => _files = files;

    /// <summary>The file row <paramref name="index"/> was read from (falls back to <see cref="Source"/>).</summary>
    public string? FileOf(int index)
    {
        if (_files is null) return Source;
        int lo = 0, hi = _files.Length - 1;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) / 2;
            if (_files[mid].Start <= index) lo = mid; else hi = mid - 1;
        }
        return _files[lo].File;
    }

    /// <summary>1-based row number of <paramref name="index"/> within its file.</summary>
    public int RowInFile(int index)
    {
        if (_files is null) return index + 1;
        var start = _files.Last(f => f.Start <= index).Start;
        return index - start + 1;
    }

    /// <summary>Where the rows came from (file path), for error messages.</summary>
    public string? Source { get; }

    public int Count => _rows.Count;

    public JsonObject this[int index] => _rows[index];

    public IReadOnlyList<JsonObject> Rows => _rows;

    /// <summary>Column names of the first row (datasets are not required to be rectangular).</summary>
    public IReadOnlyList<string> Columns => _rows.Count == 0 ? [] : _rows[0].Select(p => p.Key).ToArray();

    public static Dataset FromRows(IEnumerable<JsonObject> rows, string? source = null) => new(rows.ToArray(), source);

    /// <summary>Applies <paramref name="map"/> to every row (the function gets a deep copy it may modify).</summary>
    public Dataset Map(Func<JsonObject, JsonObject> map)
    {
        var result = new JsonObject[_rows.Count];
        for (int i = 0; i < result.Length; i++) result[i] = map((JsonObject)_rows[i].DeepClone());
        return new Dataset(result, Source);
    }

    /// <summary>Applies a map that may produce zero or more rows per input row (e.g. converters, augmentation).</summary>
    public Dataset FlatMap(Func<JsonObject, IEnumerable<JsonObject>> map)
        => new(_rows.SelectMany(r => map((JsonObject)r.DeepClone())).ToArray(), Source);

    public Dataset Filter(Func<JsonObject, bool> predicate) => new(_rows.Where(predicate).ToArray(), Source);

    /// <summary>Keeps only the named columns, in that order; a missing column is an error naming the row.</summary>
    public Dataset SelectColumns(params string[] columns)
    {
        var result = new JsonObject[_rows.Count];
        for (int i = 0; i < result.Length; i++)
        {
            var row = new JsonObject();
            foreach (var c in columns)
            {
                if (!_rows[i].TryGetPropertyValue(c, out var value))
                    throw MissingColumn(c, i);
                row[c] = value?.DeepClone();
            }
            result[i] = row;
        }
        return new Dataset(result, Source);
    }

    /// <summary>Renames columns (old → new); other columns are kept.</summary>
    public Dataset RenameColumns(IReadOnlyDictionary<string, string> renames)
    {
        var result = new JsonObject[_rows.Count];
        for (int i = 0; i < result.Length; i++)
        {
            var row = new JsonObject();
            foreach (var (key, value) in _rows[i])
                row[renames.TryGetValue(key, out var renamed) ? renamed : key] = value?.DeepClone();
            result[i] = row;
        }
        return new Dataset(result, Source);
    }

    public Dataset RemoveColumns(params string[] columns)
        => Map(row => { foreach (var c in columns) row.Remove(c); return row; });

    /// <summary>Rows in a seeded random order (Fisher–Yates with a SplitMix64 stream).</summary>
    public Dataset Shuffle(ulong seed)
    {
        var order = SeededPermutation.Create(_rows.Count, seed);
        return Select(order);
    }

    /// <summary>Rows at the given indices, in that order.</summary>
    public Dataset Select(IReadOnlyList<int> indices)
    {
        var result = new JsonObject[indices.Count];
        for (int i = 0; i < result.Length; i++) result[i] = _rows[indices[i]];
        return new Dataset(result, Source);
    }

    public Dataset Take(int count) => new(_rows.Take(count).ToArray(), Source, _files);

    public Dataset Skip(int count) => new(_rows.Skip(count).ToArray(), Source);

    /// <summary>
    /// Splits into train and test like HF <c>train_test_split</c>: <paramref name="testSize"/> is a fraction in
    /// (0, 1) or an absolute count ≥ 1; rows are shuffled with <paramref name="seed"/> first unless shuffle is false.
    /// </summary>
    public DatasetSplit TrainTestSplit(double testSize, ulong seed, bool shuffle = true)
    {
        int n = _rows.Count;
        int nTest = testSize >= 1 ? (int)testSize : (int)Math.Ceiling(testSize * n);
        if (testSize <= 0 || nTest <= 0 || nTest >= n)
            throw new DataFormatException(
                $"test_size {testSize} leaves no rows for train or test with {n} rows; use a fraction in (0, 1) or a count in [1, {n - 1}]",
                Source, field: "test_size");
        var order = shuffle ? SeededPermutation.Create(n, seed) : Enumerable.Range(0, n).ToArray();
        var test = Select(order[..nTest]);
        var train = Select(order[nTest..]);
        return new DatasetSplit(train, test);
    }

    /// <summary>Rows of several datasets one after another.</summary>
    public static Dataset Concatenate(params Dataset[] parts)
    {
        var files = new List<(int, string)>();
        int at = 0;
        foreach (var p in parts)
        {
            if (p._files is null) files.Add((at, p.Source ?? "?"));
            else files.AddRange(p._files.Select(f => (f.Start + at, f.File)));
            at += p.Count;
        }
        return new(parts.SelectMany(p => p.Rows).ToArray(), string.Join("+", parts.Select(p => p.Source ?? "?")), files.ToArray());
    }

    /// <summary>Drops rows whose key (default: the whole row's canonical JSON) was seen before; keeps first occurrences.</summary>
    public Dataset Deduplicate(Func<JsonObject, string>? key = null)
    {
        key ??= row => row.ToJsonString();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        return new Dataset(_rows.Where(r => seen.Add(key(r))).ToArray(), Source);
    }

    /// <summary>Deduplicates on the values of some columns.</summary>
    public Dataset DeduplicateBy(params string[] columns)
        => Deduplicate(row => string.Join("\u001f", columns.Select(c => row[c]?.ToJsonString() ?? "null")));

    /// <summary>The string value of a column in a row; a missing or non-string value is an error naming both.</summary>
    public string GetString(int rowIndex, string column)
    {
        var row = _rows[rowIndex];
        if (!row.TryGetPropertyValue(column, out var node) || node is null) throw MissingColumn(column, rowIndex);
        if (node is JsonValue v && v.TryGetValue<string>(out var s)) return s;
        return node.ToJsonString();
    }

    /// <summary>Saves as JSONL (one row per line), atomically (temp file + rename).</summary>
    public void SaveJsonl(string path)
    {
        var options = new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        AtomicFile.WriteLines(path, _rows.Select(row => row.ToJsonString(options)));
    }

    internal DataFormatException MissingColumn(string column, int rowIndex)
    {
        var have = _rows[rowIndex].Select(p => p.Key).ToArray();
        var hint = Suggest.Closest(column, have);
        return new DataFormatException(
            $"{RowLocation.Of(FileOf(rowIndex), RowInFile(rowIndex))}: no column '{column}' (columns: {string.Join(", ", have)}).{(hint is null ? "" : $" Did you mean '{hint}'?")} " +
            "Map your columns in the dataset config (e.g. columns: {instruction: question}) or rename them.");
    }
}
