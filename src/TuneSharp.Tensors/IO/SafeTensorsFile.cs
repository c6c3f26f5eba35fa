// Memory-mapped safetensors reader: parses only the header; tensors are zero-copy views of the mapped file.
// Format and validation rules: huggingface/safetensors (README "Format", safetensors/src/tensor.rs).
using System.Diagnostics.CodeAnalysis;

namespace TuneSharp.Tensors.IO;

/// <summary>
/// An open safetensors file. <see cref="Open"/> maps the file and reads only the 8-byte length and the JSON
/// header (the data region is not touched until a tensor's bytes are used). F32/BF16/F16 tensors come back as
/// read-only <see cref="Tensor"/> views of the mapping; other dtypes are available as raw bytes.
/// Tensors keep the mapping alive after this object is disposed (the storage is reference counted).
/// Thread-safe for concurrent reads.
/// </summary>
public sealed class SafeTensorsFile : IDisposable
{
    private MappedStorage? _storage;
    private readonly Dictionary<string, SafeTensorsTensorInfo> _byName;

    private SafeTensorsFile(string path, long fileLength, SafeTensorsHeader header, MappedStorage storage)
    {
        Path = path;
        FileLength = fileLength;
        HeaderLength = header.HeaderLength;
        Tensors = header.Tensors;
        Metadata = header.Metadata;
        _storage = storage;
        _byName = new Dictionary<string, SafeTensorsTensorInfo>(Tensors.Count, StringComparer.Ordinal);
        foreach (var t in Tensors) _byName.Add(t.Name, t);
        Names = Tensors.Select(t => t.Name).ToArray();
    }

    /// <summary>Maps <paramref name="path"/> and validates its header; throws <see cref="SafeTensorsFormatException"/> when malformed.</summary>
    public static SafeTensorsFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full)) throw new FileNotFoundException($"safetensors file not found: {full}", full);
        var region = new MappedFileRegion(full);
        SafeTensorsHeader header;
        try
        {
            long n = SafeTensorsHeader.ReadHeaderLength(region.Length >= 8 ? region.GetSpan(0, 8) : default, region.Length, full);
            header = SafeTensorsHeader.Parse(region.GetSpan(8, (int)n), region.Length, full);
        }
        catch
        {
            region.Dispose();
            throw;
        }
        // One storage spans the whole file; it takes its own reference on the region, so ours can go.
        var storage = new MappedStorage(region, 0, region.Length);
        region.Dispose();
        return new SafeTensorsFile(full, region.Length, header, storage);
    }

    /// <summary>Full path of the file.</summary>
    public string Path { get; }

    public long FileLength { get; }

    /// <summary>N, the JSON header's length in bytes (including padding).</summary>
    public long HeaderLength { get; }

    /// <summary>Absolute offset of the data region (8 + N).</summary>
    public long DataStart => 8 + HeaderLength;

    /// <summary>Tensor names in header order.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Every tensor's header entry, in header order.</summary>
    public IReadOnlyList<SafeTensorsTensorInfo> Tensors { get; }

    /// <summary>The <c>__metadata__</c> map (empty when absent or null).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    public int Count => Tensors.Count;

    public bool Contains(string name) => _byName.ContainsKey(name);

    public bool TryGetInfo(string name, [NotNullWhen(true)] out SafeTensorsTensorInfo? info) => _byName.TryGetValue(name, out info);

    /// <summary>The header entry of <paramref name="name"/>; <see cref="KeyNotFoundException"/> naming the file when absent.</summary>
    public SafeTensorsTensorInfo GetInfo(string name) =>
        _byName.TryGetValue(name, out var info) ? info : throw new KeyNotFoundException($"no tensor '{name}' in '{Path}'");

    /// <summary>
    /// True when <paramref name="name"/> is not a tensor but <c>__metadata__</c> maps it to one: safetensors'
    /// <c>save_model</c> stores tied weights once and records <c>{removed name: kept name}</c> in the metadata.
    /// </summary>
    public bool TryGetAlias(string name, [NotNullWhen(true)] out string? target)
    {
        if (!_byName.ContainsKey(name) && Metadata.TryGetValue(name, out var t) && _byName.ContainsKey(t))
        {
            target = t;
            return true;
        }
        target = null;
        return false;
    }

    /// <summary>
    /// A read-only tensor view of <paramref name="name"/>'s mapped bytes (no copy) for F32, BF16 and F16;
    /// other dtypes throw <see cref="NotSupportedException"/> (use <see cref="GetBytes"/>). Dispose the tensor when done.
    /// </summary>
    public Tensor GetTensor(string name)
    {
        var storage = _storage ?? throw new ObjectDisposedException(nameof(SafeTensorsFile), $"'{Path}' is disposed");
        var info = GetInfo(name);
        if (!SafeTensorsDTypes.TryGetComputeDType(info.DType, out var dtype))
            throw new NotSupportedException($"tensor '{name}' in '{Path}': dtype {info.DType} is not supported as a compute tensor (only F32, BF16, F16); read its raw bytes with GetBytes");
        return Tensor.FromStorage(storage, info.FileOffset, info.ToShape(), dtype);
    }

    /// <summary>
    /// The raw little-endian bytes of any tensor, straight from the mapping (valid until this file is disposed).
    /// Throws <see cref="NotSupportedException"/> beyond 2 GB (a span's limit).
    /// </summary>
    public ReadOnlySpan<byte> GetBytes(string name)
    {
        var storage = _storage ?? throw new ObjectDisposedException(nameof(SafeTensorsFile), $"'{Path}' is disposed");
        var info = GetInfo(name);
        if (info.ByteLength > int.MaxValue)
            throw new NotSupportedException($"tensor '{name}' in '{Path}' is {info.ByteLength} bytes, more than a span can hold");
        return storage.GetBytes(info.FileOffset, (int)info.ByteLength);
    }

    /// <summary>Releases this object's hold on the mapping; tensors already returned stay valid until disposed.</summary>
    public void Dispose() => Interlocked.Exchange(ref _storage, null)?.Dispose();

    public override string ToString() => $"SafeTensorsFile({Path}, {Count} tensors)";
}
