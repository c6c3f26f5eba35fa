// Writes safetensors files (and transformers-style shards + index) atomically, streaming tensor bytes.
// Layout follows huggingface/safetensors `prepare`/`serialize_to_file` (safetensors/src/tensor.rs).
using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace TuneSharp.Tensors.IO;

/// <summary>
/// Writes safetensors like the reference library: tensors sorted by descending dtype alignment, then by name
/// (byte order of the UTF-8 names), so every tensor starts aligned to its element size; header entries in that
/// same order, <c>__metadata__</c> first; header padded with spaces to a multiple of 8 bytes. Only the header is
/// buffered; tensor bytes are streamed to a temp file that is renamed into place at the end.
/// </summary>
public static class SafeTensorsWriter
{
    private sealed record Entry(string Name, string DType, long[] Shape, long ByteLength, Action<Stream> WriteData);

    /// <summary>Writes F32/BF16/F16 tensors. Names must be unique and not "__metadata__".</summary>
    public static void Write(string path, IEnumerable<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        WriteEntries(path, tensors.Select(ToEntry).ToList(), metadata);
    }

    /// <summary>Writes raw tensors of any safetensors dtype: little-endian, row-major bytes of exactly prod(shape)·size.</summary>
    public static void Write(string path, IEnumerable<(string Name, string DType, long[] Shape, ReadOnlyMemory<byte> Data)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        WriteEntries(path, tensors.Select(t => ToEntry(t.Name, t.DType, t.Shape, t.Data)).ToList(), metadata);
    }

    /// <summary>
    /// Writes transformers-style shards <c>{prefix}-00001-of-0000N.safetensors</c> of at most
    /// <paramref name="maxShardBytes"/> data bytes each (a larger tensor gets a shard of its own), filled in input
    /// order, plus <c>{prefix}.safetensors.index.json</c> (written last). A single shard is written as
    /// <c>{prefix}.safetensors</c> without an index, as save_pretrained does. Stale shards/index of a previous save
    /// with the same prefix are removed. Returns the written paths (shards, then the index).
    /// </summary>
    public static IReadOnlyList<string> WriteSharded(string folder, IEnumerable<(string Name, Tensor Tensor)> tensors, long maxShardBytes,
        IReadOnlyDictionary<string, string>? metadata = null, string prefix = "model")
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxShardBytes);
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        var entries = tensors.Select(ToEntry).ToList();
        CheckNames(entries);

        var shards = new List<List<Entry>> { new() };
        long current = 0;
        foreach (var e in entries)
        {
            if (shards[^1].Count > 0 && current + e.ByteLength > maxShardBytes)
            {
                shards.Add([]);
                current = 0;
            }
            shards[^1].Add(e);
            current += e.ByteLength;
        }

        folder = Path.GetFullPath(folder);
        Directory.CreateDirectory(folder);
        var written = new List<string>();
        string indexPath = Path.Combine(folder, $"{prefix}.safetensors.index.json");
        if (shards.Count == 1)
        {
            string single = Path.Combine(folder, $"{prefix}.safetensors");
            WriteEntries(single, shards[0], metadata);
            written.Add(single);
            RemoveStale(folder, prefix, keep: written);
            if (File.Exists(indexPath)) File.Delete(indexPath);
            return written;
        }

        var weightMap = new SortedDictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < shards.Count; i++)
        {
            string name = ShardFileName(i + 1, shards.Count, prefix);
            string shardPath = Path.Combine(folder, name);
            WriteEntries(shardPath, shards[i], metadata);
            written.Add(shardPath);
            foreach (var e in shards[i]) weightMap[e.Name] = name;
        }
        long totalSize = entries.Sum(e => e.ByteLength);
        AtomicFile.Write(indexPath, stream =>
        {
            // transformers: json.dumps(index, indent=2, sort_keys=True) + "\n"
            using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
            json.WriteStartObject();
            json.WriteStartObject("metadata");
            json.WriteNumber("total_size", totalSize);
            json.WriteEndObject();
            json.WriteStartObject("weight_map");
            foreach (var (k, v) in weightMap) json.WriteString(k, v);
            json.WriteEndObject();
            json.WriteEndObject();
            json.Flush();
            stream.WriteByte((byte)'\n');
        });
        written.Add(indexPath);
        if (File.Exists(Path.Combine(folder, $"{prefix}.safetensors"))) File.Delete(Path.Combine(folder, $"{prefix}.safetensors"));
        RemoveStale(folder, prefix, keep: written);
        return written;
    }

    /// <summary>transformers' shard name, e.g. <c>model-00001-of-00002.safetensors</c> (1-based index).</summary>
    public static string ShardFileName(int index, int count, string prefix = "model") => $"{prefix}-{index:D5}-of-{count:D5}.safetensors";

    /// <summary>The exact header bytes (JSON plus space padding, without the length prefix) the writer would produce.</summary>
    public static byte[] BuildHeader(IEnumerable<(string Name, string DType, long[] Shape)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var entries = tensors.Select(t => new Entry(t.Name, t.DType, t.Shape, CheckedByteLength(t.Name, t.DType, t.Shape), _ => { })).ToList();
        CheckNames(entries);
        return BuildHeader(Order(entries), metadata);
    }

    private static void RemoveStale(string folder, string prefix, List<string> keep)
    {
        foreach (var f in Directory.GetFiles(folder, $"{prefix}-?????-of-?????.safetensors"))
            if (!keep.Contains(Path.GetFullPath(f))) File.Delete(f);
    }

    private static Entry ToEntry((string Name, Tensor Tensor) t)
    {
        ArgumentNullException.ThrowIfNull(t.Tensor, $"tensor '{t.Name}'");
        var tensor = t.Tensor;
        long[] shape = tensor.Shape.ToArray().Select(d => (long)d).ToArray();
        return new Entry(t.Name, tensor.DType.SafeTensorsName(), shape, tensor.ByteLength, s => s.Write(tensor.AsBytes()));
    }

    private static Entry ToEntry(string name, string dtype, long[] shape, ReadOnlyMemory<byte> data)
    {
        long bytes = CheckedByteLength(name, dtype, shape);
        if (data.Length != bytes)
            throw new ArgumentException($"tensor '{name}': {data.Length} bytes given but shape [{string.Join(", ", shape)}] of {dtype} needs {bytes}");
        return new Entry(name, dtype, (long[])shape.Clone(), bytes, s => s.Write(data.Span));
    }

    private static long CheckedByteLength(string name, string dtype, long[] shape)
    {
        ArgumentNullException.ThrowIfNull(dtype);
        ArgumentNullException.ThrowIfNull(shape);
        if (!SafeTensorsDTypes.IsKnown(dtype))
            throw new ArgumentException($"tensor '{name}': unknown safetensors dtype '{dtype}' (known: {string.Join(", ", SafeTensorsDTypes.All)})");
        long elements = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentException($"tensor '{name}': negative dimension in shape [{string.Join(", ", shape)}]");
            elements = checked(elements * d);
        }
        return SafeTensorsDTypes.ByteSize(dtype, elements, out bool misaligned)
            ?? throw new ArgumentException(misaligned
                ? $"tensor '{name}': {elements} elements of {dtype} do not fill whole bytes"
                : $"tensor '{name}': byte size overflows");
    }

    private static void CheckNames(List<Entry> entries)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in entries)
        {
            if (e.Name is null) throw new ArgumentException("a tensor name is null");
            if (e.Name == "__metadata__") throw new ArgumentException("'__metadata__' is reserved and cannot name a tensor");
            if (!names.Add(e.Name)) throw new ArgumentException($"duplicate tensor name '{e.Name}'");
        }
    }

    /// <summary>Descending dtype alignment rank, then UTF-8 byte order of names (Rust's String ordering).</summary>
    private static List<Entry> Order(List<Entry> entries)
    {
        var keyed = entries.Select(e => (Entry: e, Rank: SafeTensorsDTypes.AlignmentRank(e.DType), Key: Encoding.UTF8.GetBytes(e.Name))).ToList();
        keyed.Sort((a, b) => a.Rank != b.Rank ? b.Rank.CompareTo(a.Rank) : a.Key.AsSpan().SequenceCompareTo(b.Key));
        return keyed.Select(k => k.Entry).ToList();
    }

    private static byte[] BuildHeader(List<Entry> ordered, IReadOnlyDictionary<string, string>? metadata)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata != null)
            {
                // The crate writes a HashMap (arbitrary order); sort for byte-reproducible files.
                json.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    ArgumentNullException.ThrowIfNull(v, $"metadata['{k}']");
                    json.WriteString(k, v);
                }
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var e in ordered)
            {
                json.WriteStartObject(e.Name);
                json.WriteString("dtype", e.DType);
                json.WriteStartArray("shape");
                foreach (var d in e.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + e.ByteLength);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += e.ByteLength;
            }
            json.WriteEndObject();
        }
        int padded = (buffer.WrittenCount + 7) / 8 * 8;
        var header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        if (header.Length > SafeTensorsHeader.MaxHeaderBytes)
            throw new ArgumentException($"the header would be {header.Length} bytes, over the format's {SafeTensorsHeader.MaxHeaderBytes:N0}-byte limit");
        return header;
    }

    private static void WriteEntries(string path, List<Entry> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        CheckNames(entries);
        var ordered = Order(entries);
        byte[] header = BuildHeader(ordered, metadata);
        AtomicFile.Write(path, stream =>
        {
            Span<byte> prefix = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
            stream.Write(prefix);
            stream.Write(header);
            foreach (var e in ordered)
            {
                long before = stream.Position;
                e.WriteData(stream);
                if (stream.Position - before != e.ByteLength)
                    throw new InvalidOperationException($"tensor '{e.Name}' wrote {stream.Position - before} bytes, expected {e.ByteLength}");
            }
        });
    }
}
