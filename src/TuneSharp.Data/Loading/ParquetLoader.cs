// Streams the rows of a Parquet file one row group at a time (Parquet.Net's untyped reader), nested columns as JSON.
using System.Text.Json.Nodes;
using Parquet;
using Parquet.Serialization;

namespace TuneSharp.Data.Loading;

/// <summary>
/// Each row becomes a <see cref="JsonObject"/> with every top-level column of the schema, null where the value is null;
/// lists become arrays and structs objects (a chat <c>messages</c> column reads as [{"role": …, "content": …}, …]).
/// Only one row group is held in memory at a time, so a file far larger than memory streams through; the largest row
/// group bounds the memory (the Hub's files use row groups of ≤ 100 MB).
/// </summary>
public static class ParquetLoader
{
    public static IEnumerable<JsonObject> Stream(string path)
    {
        Parquet.Schema.Field[] columns;
        Parquet.Schema.ListField[] lists;
        int rowGroups;
        using (var fs = Open(path))
        {
            try
            {
                var reader = ParquetReader.CreateAsync(fs).GetAwaiter().GetResult();
                try
                {
                    columns = reader.Schema.Fields.ToArray();
                    lists = reader.Schema.Fields.OfType<Parquet.Schema.ListField>().ToArray();
                    rowGroups = reader.RowGroupCount;
                }
                finally { reader.DisposeAsync().AsTask().GetAwaiter().GetResult(); }
            }
            catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException or InvalidOperationException or ArgumentException)
            {
                throw new DataFormatException($"not a readable Parquet file ({e.Message}). Check that it was fully written (a Parquet file ends with the magic 'PAR1').", path, inner: e);
            }
        }
        for (int g = 0; g < rowGroups; g++)
        {
            IList<Dictionary<string, object>> data;
            using (var fs = Open(path))
            {
                try { data = ParquetSerializer.DeserializeUntypedAsync(fs, null, g).GetAwaiter().GetResult().Data; }
                catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException or InvalidOperationException or ArgumentException or InvalidCastException)
                {
                    throw new DataFormatException($"row group {g} could not be read ({e.Message})", path, inner: e);
                }
            }
            // The untyped reader leaves an empty list of primitives out of the row, like a null one; tell them apart
            // from the definition levels (only for columns where that happens).
            var emptyLists = new Dictionary<string, bool[]>(StringComparer.Ordinal);
            foreach (var l in lists)
                if (data.Any(r => !r.ContainsKey(l.Name))) emptyLists[l.Name] = EmptyListRows(path, g, l, data.Count);
            for (int i = 0; i < data.Count; i++)
            {
                var row = new JsonObject();
                var values = data[i];
                foreach (var c in columns)
                    row[c.Name] = values.TryGetValue(c.Name, out var v) ? ToJson(v, c) : emptyLists.TryGetValue(c.Name, out var e) && e[i] ? new JsonArray() : null;
                data[i] = null!; // let the row group's objects go as we hand rows out
                yield return row;
            }
        }
    }

    /// <summary>Total rows from the footer, without reading any data.</summary>
    public static long CountRows(string path)
    {
        using var fs = Open(path);
        var reader = ParquetReader.CreateAsync(fs).GetAwaiter().GetResult();
        try
        {
            long n = 0;
            for (int g = 0; g < reader.RowGroupCount; g++) n += reader.RowGroups[g].RowCount;
            return n;
        }
        finally { reader.DisposeAsync().AsTask().GetAwaiter().GetResult(); }
    }

    // For a top-level list, definition level 0 at a row's first entry means the list itself is null (when it is
    // optional); anything higher means it exists, possibly empty (Parquet's Dremel encoding).
    private static bool[] EmptyListRows(string path, int rowGroup, Parquet.Schema.ListField list, int rows)
    {
        var leaf = Leaf(list);
        var result = new bool[rows];
        using var fs = Open(path);
        var reader = ParquetReader.CreateAsync(fs).GetAwaiter().GetResult();
        try
        {
            using var rg = reader.OpenRowGroupReader(rowGroup);
            using var raw = rg.ReadRawColumnDataBaseAsync(leaf).GetAwaiter().GetResult();
            var def = raw.DefinitionLevels;
            var rep = raw.RepetitionLevels;
            int row = -1;
            for (int k = 0; k < def.Length && row < rows; k++)
            {
                if (rep[k] != 0) continue;
                row++;
                if (row < rows) result[row] = !list.IsNullable || def[k] > 0;
            }
        }
        finally { reader.DisposeAsync().AsTask().GetAwaiter().GetResult(); }
        return result;
    }

    private static Parquet.Schema.DataField Leaf(Parquet.Schema.Field f) => f switch
    {
        Parquet.Schema.DataField d => d,
        Parquet.Schema.ListField l => Leaf(l.Item),
        Parquet.Schema.StructField s => Leaf(s.Fields[0]),
        Parquet.Schema.MapField m => Leaf(m.Key),
        _ => throw new NotSupportedException($"Parquet field {f.Name}"),
    };

    private static FileStream Open(string path) => new(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);

    // The schema fills in what the untyped reader leaves out: a struct's null fields.
    internal static JsonNode? ToJson(object? value, Parquet.Schema.Field? field) => value switch
    {
        null => null,
        string s => JsonValue.Create(s),
        ReadOnlyMemory<char> m => JsonValue.Create(m.ToString()),
        Dictionary<string, object> d when field is Parquet.Schema.StructField sf =>
            new JsonObject(sf.Fields.Select(f => KeyValuePair.Create(f.Name, d.TryGetValue(f.Name, out var v) ? ToJson(v, f) : null))),
        Dictionary<string, object> d => new JsonObject(d.Select(kv => KeyValuePair.Create(kv.Key, ToJson(kv.Value, null)))),
        byte[] b => JsonValue.Create(Convert.ToBase64String(b)),
        System.Collections.IEnumerable e => new JsonArray(e.Cast<object?>().Select(x => ToJson(x, (field as Parquet.Schema.ListField)?.Item)).ToArray()),
        _ => JsonScalars.From(value),
    };
}
