// A model's weights across one or several safetensors files: a single file, or shards listed by
// model.safetensors.index.json (`weight_map`: tensor name → shard file), as transformers' save_pretrained writes them.
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace TuneSharp.Tensors.IO;

/// <summary>
/// One name-based API over a (possibly sharded) checkpoint. <see cref="Open"/> parses every shard's header and
/// checks the index against them; tensor data stays on disk until used. Dispose releases every shard (tensors
/// already handed out stay valid).
/// </summary>
public sealed class SafeTensorsModel : IDisposable
{
    /// <summary>The index file transformers writes next to the shards.</summary>
    public const string IndexFileName = "model.safetensors.index.json";

    /// <summary>The unsharded file name.</summary>
    public const string SingleFileName = "model.safetensors";

    private readonly Dictionary<string, SafeTensorsFile> _fileByName;
    private readonly SafeTensorsFile[] _shards;

    private SafeTensorsModel(string folder, string? indexPath, SafeTensorsFile[] shards, Dictionary<string, SafeTensorsFile> fileByName,
        IReadOnlyList<string> names, IReadOnlyList<string> unindexed, IReadOnlyDictionary<string, string> metadata)
    {
        Folder = folder;
        IndexPath = indexPath;
        _shards = shards;
        _fileByName = fileByName;
        Names = names;
        UnindexedNames = unindexed;
        Metadata = metadata;
    }

    /// <summary>
    /// Opens a folder (with <c>model.safetensors.index.json</c>, else <c>model.safetensors</c>, else its only
    /// <c>*.safetensors</c>), an index file, or a single safetensors file.
    /// </summary>
    public static SafeTensorsModel Open(string folderOrFile)
    {
        ArgumentException.ThrowIfNullOrEmpty(folderOrFile);
        string full = Path.GetFullPath(folderOrFile);
        if (File.Exists(full))
        {
            return full.EndsWith(".index.json", StringComparison.Ordinal)
                ? OpenIndexed(full)
                : OpenSingle(SafeTensorsFile.Open(full));
        }
        if (!Directory.Exists(full)) throw new DirectoryNotFoundException($"no model folder or file at '{full}'");
        string index = Path.Combine(full, IndexFileName);
        if (File.Exists(index)) return OpenIndexed(index);
        string single = Path.Combine(full, SingleFileName);
        if (File.Exists(single)) return OpenSingle(SafeTensorsFile.Open(single));
        var candidates = Directory.GetFiles(full, "*.safetensors").Order(StringComparer.Ordinal).ToArray();
        return candidates.Length switch
        {
            1 => OpenSingle(SafeTensorsFile.Open(candidates[0])),
            0 => throw new FileNotFoundException($"'{full}' holds no {IndexFileName}, {SingleFileName} or other *.safetensors file"),
            _ => throw new SafeTensorsFormatException(full, $"the folder holds {candidates.Length} *.safetensors files ({string.Join(", ", candidates.Select(Path.GetFileName))}) but no {IndexFileName} saying how they combine"),
        };
    }

    private static SafeTensorsModel OpenSingle(SafeTensorsFile file)
    {
        var map = new Dictionary<string, SafeTensorsFile>(file.Count, StringComparer.Ordinal);
        foreach (var n in file.Names) map.Add(n, file);
        return new SafeTensorsModel(Path.GetDirectoryName(file.Path)!, null, [file], map, file.Names, [], file.Metadata);
    }

    private static SafeTensorsModel OpenIndexed(string indexPath)
    {
        string folder = Path.GetDirectoryName(indexPath)!;
        var (weightMap, indexMetadata) = ReadIndex(indexPath);
        var opened = new Dictionary<string, SafeTensorsFile>(StringComparer.Ordinal);
        try
        {
            foreach (var shardName in weightMap.Values.Distinct().Order(StringComparer.Ordinal))
            {
                string shardPath = Path.Combine(folder, shardName);
                if (!File.Exists(shardPath))
                    throw new SafeTensorsFormatException(indexPath, $"shard '{shardName}' named in weight_map does not exist in '{folder}'", null,
                        new FileNotFoundException(null, shardPath));
                opened.Add(shardName, SafeTensorsFile.Open(shardPath));
            }
            var fileByName = new Dictionary<string, SafeTensorsFile>(weightMap.Count, StringComparer.Ordinal);
            foreach (var (name, shardName) in weightMap)
            {
                var file = opened[shardName];
                if (!file.Contains(name))
                {
                    var elsewhere = opened.Values.FirstOrDefault(f => f.Contains(name));
                    throw new SafeTensorsFormatException(indexPath, $"weight_map puts it in '{shardName}' but that shard has no such tensor"
                        + (elsewhere is null ? "" : $" (it is in '{Path.GetFileName(elsewhere.Path)}')"), name);
                }
                fileByName.Add(name, file);
            }
            // Tensors present in a shard but absent from the index are not loadable through it (transformers
            // ignores them too); report them rather than fail.
            var unindexed = opened.Values.SelectMany(f => f.Names).Where(n => !fileByName.ContainsKey(n)).Order(StringComparer.Ordinal).ToArray();
            var shards = opened.Values.ToArray();
            return new SafeTensorsModel(folder, indexPath, shards, fileByName, weightMap.Keys.ToArray(), unindexed, indexMetadata);
        }
        catch
        {
            foreach (var f in opened.Values) f.Dispose();
            throw;
        }
    }

    private static (Dictionary<string, string> WeightMap, Dictionary<string, string> Metadata) ReadIndex(string indexPath)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(indexPath), new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw new SafeTensorsFormatException(indexPath, $"index is not valid JSON: {e.Message}", null, e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new SafeTensorsFormatException(indexPath, "index is not a JSON object");
            if (!root.TryGetProperty("weight_map", out var wm) || wm.ValueKind != JsonValueKind.Object)
                throw new SafeTensorsFormatException(indexPath, "index has no 'weight_map' object");
            var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var p in wm.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String)
                    throw new SafeTensorsFormatException(indexPath, $"weight_map value must be a shard file name, got {p.Value.ValueKind}", p.Name);
                string shard = p.Value.GetString()!;
                // Shards live in the index's folder: refuse paths that would read elsewhere.
                if (shard.Length == 0 || shard is "." or ".." || shard.IndexOfAny(['/', '\\', '\0']) >= 0 || Path.IsPathRooted(shard))
                    throw new SafeTensorsFormatException(indexPath, $"weight_map shard '{shard}' is not a plain file name", p.Name);
                if (!weightMap.TryAdd(p.Name, shard))
                    throw new SafeTensorsFormatException(indexPath, "duplicate key in weight_map", p.Name);
            }
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            if (root.TryGetProperty("metadata", out var md) && md.ValueKind == JsonValueKind.Object)
            {
                // transformers writes numbers here ("total_size"); keep their JSON text.
                foreach (var p in md.EnumerateObject())
                    metadata[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText();
            }
            return (weightMap, metadata);
        }
    }

    /// <summary>The folder holding the files.</summary>
    public string Folder { get; }

    /// <summary>The index file, or null for a single-file model.</summary>
    public string? IndexPath { get; }

    /// <summary>The opened files (one for a single-file model), shard names in ordinal order.</summary>
    public IReadOnlyList<SafeTensorsFile> Shards => _shards;

    /// <summary>Every loadable tensor name: weight_map order for a sharded model, header order otherwise.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Names present in some shard but missing from the index (not loadable through the model).</summary>
    public IReadOnlyList<string> UnindexedNames { get; }

    /// <summary>The index's "metadata" (values as strings/JSON text), or the single file's <c>__metadata__</c>.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    public int Count => Names.Count;

    public bool Contains(string name) => _fileByName.ContainsKey(name);

    public bool TryGetInfo(string name, [NotNullWhen(true)] out SafeTensorsTensorInfo? info)
    {
        if (_fileByName.TryGetValue(name, out var f)) return f.TryGetInfo(name, out info);
        info = null;
        return false;
    }

    public SafeTensorsTensorInfo GetInfo(string name) => GetFile(name).GetInfo(name);

    /// <summary>The file that holds <paramref name="name"/>.</summary>
    public SafeTensorsFile GetFile(string name) =>
        _fileByName.TryGetValue(name, out var f) ? f : throw new KeyNotFoundException($"no tensor '{name}' in model '{IndexPath ?? _shards[0].Path}'");

    /// <summary>See <see cref="SafeTensorsFile.TryGetAlias"/>; looks in every shard's <c>__metadata__</c>.</summary>
    public bool TryGetAlias(string name, [NotNullWhen(true)] out string? target)
    {
        if (!Contains(name))
        {
            foreach (var f in _shards)
            {
                if (f.Metadata.TryGetValue(name, out var t) && Contains(t))
                {
                    target = t;
                    return true;
                }
            }
        }
        target = null;
        return false;
    }

    /// <summary>See <see cref="SafeTensorsFile.GetTensor"/>.</summary>
    public Tensor GetTensor(string name) => GetFile(name).GetTensor(name);

    /// <summary>See <see cref="SafeTensorsFile.GetBytes"/>.</summary>
    public ReadOnlySpan<byte> GetBytes(string name) => GetFile(name).GetBytes(name);

    /// <summary>Total data bytes of the loadable tensors.</summary>
    public long TotalBytes => Names.Sum(n => GetInfo(n).ByteLength);

    public void Dispose()
    {
        foreach (var f in _shards) f.Dispose();
    }

    public override string ToString() => $"SafeTensorsModel({IndexPath ?? _shards[0].Path}, {Count} tensors in {_shards.Length} file(s))";
}
