// GGUF container reader (ggml docs/gguf.md, v2/v3): header, every metadata KV type incl. nested arrays, tensor infos; data left on disk.
//
// Layout: "GGUF" · u32 version · u64 tensor_count · u64 kv_count · kv_count × (string key, u32 type, value)
//   · tensor_count × (string name, u32 n_dims, u64 dims[n_dims] (innermost first), u32 ggml_type, u64 offset)
//   · padding to general.alignment (default 32) · tensor data (offsets relative to this point).
// Strings are u64 length + UTF-8 bytes; arrays are u32 element type + u64 count + elements; all little-endian.
using System.Text;

namespace TuneSharp.Tensors.IO.Gguf;

public sealed class GgufFile
{
    private readonly Dictionary<string, GgufValue> _metadata;

    private GgufFile(string path, uint version, Dictionary<string, GgufValue> metadata, List<GgufTensorInfo> tensors, long dataOffset, int alignment)
    {
        Path = path;
        Version = version;
        _metadata = metadata;
        Tensors = tensors;
        DataOffset = dataOffset;
        Alignment = alignment;
    }

    public string Path { get; }
    public uint Version { get; }
    public IReadOnlyDictionary<string, GgufValue> Metadata => _metadata;
    public IReadOnlyList<GgufTensorInfo> Tensors { get; }
    /// <summary>Absolute file offset where tensor data starts (tensor offsets are relative to it).</summary>
    public long DataOffset { get; }
    public int Alignment { get; }

    /// <summary>Reads the header, metadata and tensor infos of a GGUF file.</summary>
    public static GgufFile Open(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        try
        {
            return Read(fs, path);
        }
        catch (EndOfStreamException e)
        {
            throw new GgufFormatException($"truncated GGUF file (at byte {fs.Position})", path, e);
        }
    }

    private static GgufFile Read(Stream stream, string path)
    {
        var r = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        var magic = r.ReadBytes(4);
        if (magic.Length < 4 || magic[0] != 'G' || magic[1] != 'G' || magic[2] != 'U' || magic[3] != 'F')
            throw new GgufFormatException("not a GGUF file (bad magic)", path);
        uint version = r.ReadUInt32();
        if (version is < 2 or > 3) throw new GgufFormatException($"unsupported GGUF version {version}", path);
        ulong tensorCount = r.ReadUInt64();
        ulong kvCount = r.ReadUInt64();
        if (tensorCount > 1_000_000 || kvCount > 1_000_000) throw new GgufFormatException($"implausible counts (tensors {tensorCount}, kv {kvCount})", path);
        var meta = new Dictionary<string, GgufValue>((int)kvCount, StringComparer.Ordinal);
        for (ulong i = 0; i < kvCount; i++)
        {
            var key = ReadString(r, path);
            var type = (GgufValueType)r.ReadUInt32();
            try { meta[key] = ReadValue(r, type, path); }
            catch (GgufFormatException e) { throw new GgufFormatException($"metadata '{key}': {e.Reason}", path); }
        }
        var tensors = new List<GgufTensorInfo>((int)tensorCount);
        for (ulong i = 0; i < tensorCount; i++)
        {
            var name = ReadString(r, path);
            uint nd = r.ReadUInt32();
            if (nd > 8) throw new GgufFormatException($"tensor '{name}' has {nd} dims", path);
            var dims = new long[nd];
            for (int d = 0; d < nd; d++) dims[d] = checked((long)r.ReadUInt64());
            var type = (GgmlType)r.ReadUInt32();
            long offset = checked((long)r.ReadUInt64());
            tensors.Add(new GgufTensorInfo(name, dims, type, offset));
        }
        int alignment = meta.TryGetValue("general.alignment", out var a) ? (int)a.AsInt64() : 32;
        if (alignment <= 0 || (alignment & (alignment - 1)) != 0) throw new GgufFormatException($"general.alignment {alignment} is not a power of two", path);
        long pos = stream.Position;
        long dataOffset = (pos + alignment - 1) / alignment * alignment;
        return new GgufFile(path, version, meta, tensors, dataOffset, alignment);
    }

    private static string ReadString(BinaryReader r, string path)
    {
        ulong n = r.ReadUInt64();
        if (n > int.MaxValue) throw new GgufFormatException($"string length {n} is too large", path);
        // Lengths are checked against the bytes left before allocating (a flipped length byte asked for 2 GB).
        if (n > (ulong)Remaining(r)) throw new GgufFormatException($"string length {n} runs past the end of the file ({Remaining(r)} bytes left): truncated or damaged", path);
        var bytes = r.ReadBytes((int)n);
        if (bytes.Length != (int)n) throw new EndOfStreamException();
        return Encoding.UTF8.GetString(bytes);
    }

    private static GgufValue ReadValue(BinaryReader r, GgufValueType t, string path) => t switch
    {
        GgufValueType.UInt8 => new GgufValue(t, r.ReadByte()),
        GgufValueType.Int8 => new GgufValue(t, r.ReadSByte()),
        GgufValueType.UInt16 => new GgufValue(t, r.ReadUInt16()),
        GgufValueType.Int16 => new GgufValue(t, r.ReadInt16()),
        GgufValueType.UInt32 => new GgufValue(t, r.ReadUInt32()),
        GgufValueType.Int32 => new GgufValue(t, r.ReadInt32()),
        GgufValueType.Float32 => new GgufValue(t, r.ReadSingle()),
        GgufValueType.Bool => new GgufValue(t, r.ReadByte() != 0),
        GgufValueType.String => new GgufValue(t, ReadString(r, path)),
        GgufValueType.UInt64 => new GgufValue(t, r.ReadUInt64()),
        GgufValueType.Int64 => new GgufValue(t, r.ReadInt64()),
        GgufValueType.Float64 => new GgufValue(t, r.ReadDouble()),
        GgufValueType.Array => ReadArray(r, path),
        _ => throw new GgufFormatException($"unknown value type {(uint)t}", path),
    };

    private static GgufValue ReadArray(BinaryReader r, string path)
    {
        var et = (GgufValueType)r.ReadUInt32();
        ulong n = r.ReadUInt64();
        if (n > 100_000_000) throw new GgufFormatException($"array length {n} is too large", path);
        int minElement = et switch
        {
            GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
            GgufValueType.UInt16 or GgufValueType.Int16 => 2,
            GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
            _ => 8, // 64-bit values, and strings / arrays start with a 64-bit length
        };
        if (n * (ulong)minElement > (ulong)Remaining(r))
            throw new GgufFormatException($"array of {n} elements runs past the end of the file ({Remaining(r)} bytes left): truncated or damaged", path);
        int count = (int)n;
        Array arr = et switch
        {
            GgufValueType.UInt8 => r.ReadBytes(count),
            GgufValueType.Int8 => Fill(count, () => r.ReadSByte()),
            GgufValueType.UInt16 => Fill(count, () => r.ReadUInt16()),
            GgufValueType.Int16 => Fill(count, () => r.ReadInt16()),
            GgufValueType.UInt32 => Fill(count, () => r.ReadUInt32()),
            GgufValueType.Int32 => Fill(count, () => r.ReadInt32()),
            GgufValueType.Float32 => Fill(count, () => r.ReadSingle()),
            GgufValueType.Bool => Fill(count, () => r.ReadByte() != 0),
            GgufValueType.String => Fill(count, () => ReadString(r, path)),
            GgufValueType.UInt64 => Fill(count, () => r.ReadUInt64()),
            GgufValueType.Int64 => Fill(count, () => r.ReadInt64()),
            GgufValueType.Float64 => Fill(count, () => r.ReadDouble()),
            GgufValueType.Array => Fill(count, () => ReadArray(r, path)),
            _ => throw new GgufFormatException($"unknown array element type {(uint)et}", path),
        };
        return new GgufValue(GgufValueType.Array, arr, et);
    }

    private static long Remaining(BinaryReader r) => r.BaseStream.Length - r.BaseStream.Position;

    private static T[] Fill<T>(int n, Func<T> read)
    {
        var a = new T[n];
        for (int i = 0; i < n; i++) a[i] = read();
        return a;
    }

    public bool TryGet(string key, out GgufValue value) => _metadata.TryGetValue(key, out value!);

    public GgufValue Get(string key) => _metadata.TryGetValue(key, out var v) ? v : throw new GgufFormatException($"missing metadata key '{key}'", Path);

    public string? GetString(string key) => _metadata.TryGetValue(key, out var v) ? v.AsString() : null;
    public long? GetInt(string key) => _metadata.TryGetValue(key, out var v) ? v.AsInt64() : null;
    public bool? GetBool(string key) => _metadata.TryGetValue(key, out var v) ? v.AsBool() : null;
    public T[]? GetArray<T>(string key) => _metadata.TryGetValue(key, out var v) ? v.AsArray<T>() : null;

    /// <summary>Absolute file offset of a tensor's data.</summary>
    public long TensorDataOffset(GgufTensorInfo t) => DataOffset + t.Offset;
}
