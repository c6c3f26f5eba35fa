// GGUF v3 container writer (ggml docs/gguf.md): metadata KVs in insertion order, tensor infos, data aligned to
// general.alignment (32). The file appears only when complete (AtomicFile: temp + rename). Read back by GgufFile.
using System.Text;

namespace TuneSharp.Tensors.IO.Gguf;

/// <summary>Collects metadata and tensors, then writes one GGUF file. Tensor data is produced lazily at write time.</summary>
public sealed class GgufWriter
{
    public const int Alignment = 32;
    private readonly List<(string Key, GgufValue Value)> _kv = [];
    private readonly HashSet<string> _keys = new(StringComparer.Ordinal);
    private readonly List<Entry> _tensors = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    private sealed record Entry(string Name, long[] Dims, GgmlType Type, long Bytes, Func<byte[]> Data);

    public IReadOnlyList<(string Key, GgufValue Value)> Metadata => _kv;

    /// <summary>Adds a metadata value; keys are unique.</summary>
    public GgufWriter Add(string key, GgufValue value)
    {
        if (!_keys.Add(key)) throw new ArgumentException($"GGUF metadata key '{key}' added twice");
        if (value.Type == GgufValueType.Array && value.ElementType is null) throw new ArgumentException($"GGUF array '{key}' has no element type");
        _kv.Add((key, value));
        return this;
    }

    public GgufWriter AddString(string key, string v) => Add(key, new GgufValue(GgufValueType.String, v));
    public GgufWriter AddUInt32(string key, uint v) => Add(key, new GgufValue(GgufValueType.UInt32, v));
    public GgufWriter AddInt32(string key, int v) => Add(key, new GgufValue(GgufValueType.Int32, v));
    public GgufWriter AddFloat32(string key, float v) => Add(key, new GgufValue(GgufValueType.Float32, v));
    public GgufWriter AddBool(string key, bool v) => Add(key, new GgufValue(GgufValueType.Bool, v));
    public GgufWriter AddArray(string key, string[] v) => Add(key, new GgufValue(GgufValueType.Array, v, GgufValueType.String));
    public GgufWriter AddArray(string key, float[] v) => Add(key, new GgufValue(GgufValueType.Array, v, GgufValueType.Float32));
    public GgufWriter AddArray(string key, int[] v) => Add(key, new GgufValue(GgufValueType.Array, v, GgufValueType.Int32));

    /// <summary>
    /// Adds a tensor: <paramref name="dims"/> innermost first (ggml ne[]; an HF (out, in) matrix is [in, out]),
    /// <paramref name="data"/> returns exactly <c>GgmlQuant.ByteCount(type, elements)</c> bytes when the file is written.
    /// </summary>
    public GgufWriter AddTensor(string name, long[] dims, GgmlType type, long byteCount, Func<byte[]> data)
    {
        if (!_names.Add(name)) throw new ArgumentException($"GGUF tensor '{name}' added twice");
        if (Encoding.UTF8.GetByteCount(name) >= 64) throw new ArgumentException($"GGUF tensor name '{name}' is 64 bytes or longer (ggml's limit)");
        _tensors.Add(new Entry(name, (long[])dims.Clone(), type, byteCount, data));
        return this;
    }

    /// <summary>Writes the file atomically; nothing exists at <paramref name="path"/> unless the whole file was written.</summary>
    public void Write(string path) => AtomicFile.Write(path, WriteTo);

    /// <summary>Writes the GGUF bytes to a stream.</summary>
    public void WriteTo(Stream s)
    {
        var w = new BinaryWriter(s, Encoding.UTF8, leaveOpen: true);
        w.Write("GGUF"u8);
        w.Write(3u);
        w.Write((ulong)_tensors.Count);
        w.Write((ulong)_kv.Count);
        foreach (var (key, value) in _kv)
        {
            WriteString(w, key);
            w.Write((uint)value.Type);
            WriteValue(w, value.Type, value.Value, value.ElementType, key);
        }
        long offset = 0;
        foreach (var t in _tensors)
        {
            WriteString(w, t.Name);
            w.Write((uint)t.Dims.Length);
            foreach (var d in t.Dims) w.Write((ulong)d);
            w.Write((uint)t.Type);
            w.Write((ulong)offset);
            offset += Pad(t.Bytes);
        }
        w.Flush();
        WriteZeros(s, Pad(s.Position) - s.Position);
        foreach (var t in _tensors)
        {
            var bytes = t.Data();
            if (bytes.LongLength != t.Bytes) throw new InvalidOperationException($"GGUF tensor '{t.Name}' produced {bytes.LongLength} bytes, expected {t.Bytes}");
            s.Write(bytes);
            WriteZeros(s, Pad(t.Bytes) - t.Bytes);
        }
    }

    private static long Pad(long n) => (n + Alignment - 1) / Alignment * Alignment;

    private static void WriteZeros(Stream s, long n)
    {
        Span<byte> z = stackalloc byte[Alignment];
        z.Clear();
        s.Write(z[..(int)n]);
    }

    private static void WriteString(BinaryWriter w, string v)
    {
        var b = Encoding.UTF8.GetBytes(v);
        w.Write((ulong)b.Length);
        w.Write(b);
    }

    private static void WriteValue(BinaryWriter w, GgufValueType t, object v, GgufValueType? elementType, string key)
    {
        switch (t)
        {
            case GgufValueType.UInt8: w.Write(Convert.ToByte(v)); break;
            case GgufValueType.Int8: w.Write(Convert.ToSByte(v)); break;
            case GgufValueType.UInt16: w.Write(Convert.ToUInt16(v)); break;
            case GgufValueType.Int16: w.Write(Convert.ToInt16(v)); break;
            case GgufValueType.UInt32: w.Write(Convert.ToUInt32(v)); break;
            case GgufValueType.Int32: w.Write(Convert.ToInt32(v)); break;
            case GgufValueType.Float32: w.Write(Convert.ToSingle(v)); break;
            case GgufValueType.Bool: w.Write((byte)(Convert.ToBoolean(v) ? 1 : 0)); break;
            case GgufValueType.String: WriteString(w, (string)v); break;
            case GgufValueType.UInt64: w.Write(Convert.ToUInt64(v)); break;
            case GgufValueType.Int64: w.Write(Convert.ToInt64(v)); break;
            case GgufValueType.Float64: w.Write(Convert.ToDouble(v)); break;
            case GgufValueType.Array:
            {
                var a = (Array)v;
                var et = elementType ?? throw new ArgumentException($"GGUF array '{key}' has no element type");
                w.Write((uint)et);
                w.Write((ulong)a.Length);
                foreach (var e in a)
                {
                    if (et == GgufValueType.Array)
                    {
                        var inner = (GgufValue)e!;
                        WriteValue(w, GgufValueType.Array, inner.Value, inner.ElementType, key);
                    }
                    else WriteValue(w, et, e!, null, key);
                }
                break;
            }
            default: throw new ArgumentException($"GGUF metadata '{key}': unknown value type {(uint)t}");
        }
    }
}
