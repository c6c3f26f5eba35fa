// Minimal private readers for tests only: safetensors headers/F32 data and just enough GGUF v3 to reach tensor
// data (the real readers live in src/TuneSharp.Tensors/IO and src/TuneSharp.Tokenizers/Gguf).
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace TuneSharp.Models.Tests;

internal sealed record TestTensor(string DType, int[] Shape, long Offset, long Length);

/// <summary>safetensors: u64 header length, JSON header, raw little-endian data.</summary>
internal sealed class TestSafeTensors
{
    private readonly byte[] _file;
    private readonly long _dataStart;

    public TestSafeTensors(string path)
    {
        _file = File.ReadAllBytes(path);
        long n = BinaryPrimitives.ReadInt64LittleEndian(_file);
        _dataStart = 8 + n;
        using var doc = JsonDocument.Parse(_file.AsMemory(8, (int)n));
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            if (p.Name == "__metadata__")
            {
                foreach (var m in p.Value.EnumerateObject()) Metadata[m.Name] = m.Value.GetString() ?? "";
                continue;
            }
            var off = p.Value.GetProperty("data_offsets");
            long a = off[0].GetInt64(), b = off[1].GetInt64();
            Tensors[p.Name] = new TestTensor(p.Value.GetProperty("dtype").GetString()!,
                p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray(), a, b - a);
        }
    }

    public Dictionary<string, TestTensor> Tensors { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, int[]> Shapes() => Tensors.ToDictionary(kv => kv.Key, kv => kv.Value.Shape, StringComparer.Ordinal);

    public float[] F32(string name)
    {
        var t = Tensors[name];
        Assert.Equal("F32", t.DType);
        var r = new float[t.Length / 4];
        for (int i = 0; i < r.Length; i++)
            r[i] = BinaryPrimitives.ReadSingleLittleEndian(_file.AsSpan((int)(_dataStart + t.Offset + 4 * i), 4));
        return r;
    }
}

/// <summary>GGUF v3: magic, version, counts, KV pairs (skipped except general.alignment), tensor infos, aligned data.</summary>
internal sealed class TestGguf
{
    private readonly byte[] _file;
    private int _p;

    public TestGguf(string path)
    {
        _file = File.ReadAllBytes(path);
        Assert.Equal("GGUF", Encoding.ASCII.GetString(_file, 0, 4));
        _p = 4;
        Assert.Equal(3u, U32());
        long tensorCount = (long)U64(), kvCount = (long)U64();
        long alignment = 32;
        for (long i = 0; i < kvCount; i++)
        {
            var key = Str();
            uint type = U32();
            var value = Value(type);
            if (key == "general.alignment") alignment = Convert.ToInt64(value);
            if (value is not null) Kv[key] = value;
        }
        var infos = new List<(string, long[], uint, long)>();
        for (long i = 0; i < tensorCount; i++)
        {
            var name = Str();
            uint nd = U32();
            var dims = new long[nd];
            for (int d = 0; d < nd; d++) dims[d] = (long)U64();
            infos.Add((name, dims, U32(), (long)U64()));
        }
        long dataStart = (_p + alignment - 1) / alignment * alignment;
        foreach (var (name, dims, type, offset) in infos) Tensors[name] = (dims, type, dataStart + offset);
    }

    public Dictionary<string, object> Kv { get; } = new(StringComparer.Ordinal);

    /// <summary>name → (dims innermost first, ggml type, absolute file offset).</summary>
    public Dictionary<string, (long[] Dims, uint Type, long Offset)> Tensors { get; } = new(StringComparer.Ordinal);

    public ReadOnlySpan<byte> Data(string name, long bytes) => _file.AsSpan((int)Tensors[name].Offset, (int)bytes);

    private uint U32() { var v = BinaryPrimitives.ReadUInt32LittleEndian(_file.AsSpan(_p)); _p += 4; return v; }

    private ulong U64() { var v = BinaryPrimitives.ReadUInt64LittleEndian(_file.AsSpan(_p)); _p += 8; return v; }

    private string Str()
    {
        int n = checked((int)U64());
        var s = Encoding.UTF8.GetString(_file, _p, n);
        _p += n;
        return s;
    }

    private object? Value(uint type)
    {
        switch (type)
        {
            case 0: case 1: case 7: _p += 1; return (long)_file[_p - 1];
            case 2: case 3: _p += 2; return null;
            case 4: return (long)U32();
            case 5: return (long)(int)U32();
            case 6: { var f = BinaryPrimitives.ReadSingleLittleEndian(_file.AsSpan(_p)); _p += 4; return (double)f; }
            case 8: return Str();
            case 9:
                {
                    uint et = U32();
                    long n = (long)U64();
                    for (long i = 0; i < n; i++) Value(et);
                    return null;
                }
            case 10: case 11: return (long)U64();
            case 12: _p += 8; return null;
            default: throw new InvalidDataException($"GGUF value type {type}");
        }
    }
}
