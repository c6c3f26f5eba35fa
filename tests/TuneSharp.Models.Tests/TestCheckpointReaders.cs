// Test-side views of checkpoint files over the real readers (SafeTensorsFile, GgufFile), shaped for easy asserts.
using TuneSharp.Tensors.IO;
using TuneSharp.Tensors.IO.Gguf;

namespace TuneSharp.Models.Tests;

internal sealed record TestTensor(string DType, int[] Shape, long Offset, long Length);

/// <summary>A safetensors file as name → (dtype, shape, offsets) plus F32 values.</summary>
internal sealed class TestSafeTensors
{
    private readonly SafeTensorsFile _file;

    public TestSafeTensors(string path)
    {
        _file = SafeTensorsFile.Open(path);
        foreach (var t in _file.Tensors)
            Tensors[t.Name] = new TestTensor(t.DType, t.Shape.Select(d => checked((int)d)).ToArray(), t.DataBegin, t.ByteLength);
    }

    public Dictionary<string, TestTensor> Tensors { get; } = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, string> Metadata => _file.Metadata;

    public Dictionary<string, int[]> Shapes() => Tensors.ToDictionary(kv => kv.Key, kv => kv.Value.Shape, StringComparer.Ordinal);

    public float[] F32(string name)
    {
        Assert.Equal("F32", Tensors[name].DType);
        using var t = _file.GetTensor(name);
        return t.ToFloatArray();
    }
}

/// <summary>A GGUF file as scalar metadata (integers as long, strings) and name → (dims, ggml type, absolute offset).</summary>
internal sealed class TestGguf
{
    private readonly byte[] _bytes;

    public TestGguf(string path)
    {
        var file = GgufFile.Open(path);
        Assert.Equal(3u, file.Version);
        _bytes = File.ReadAllBytes(path);
        foreach (var (key, value) in file.Metadata)
        {
            switch (value.Type)
            {
                case GgufValueType.String: Kv[key] = value.AsString(); break;
                case GgufValueType.Float32 or GgufValueType.Float64: Kv[key] = value.AsDouble(); break;
                case GgufValueType.Array: break;
                default: Kv[key] = value.AsInt64(); break;
            }
        }
        foreach (var t in file.Tensors) Tensors[t.Name] = (t.Dims, (uint)t.Type, file.TensorDataOffset(t));
    }

    public Dictionary<string, object> Kv { get; } = new(StringComparer.Ordinal);

    /// <summary>name → (dims innermost first, ggml type, absolute file offset).</summary>
    public Dictionary<string, (long[] Dims, uint Type, long Offset)> Tensors { get; } = new(StringComparer.Ordinal);

    public ReadOnlySpan<byte> Data(string name, long bytes) => _bytes.AsSpan(checked((int)Tensors[name].Offset), checked((int)bytes));
}
