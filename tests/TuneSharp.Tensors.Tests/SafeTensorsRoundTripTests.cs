// Write → read round trips of SafeTensorsWriter/SafeTensorsFile, golden bytes from the safetensors crate's own
// tests (safetensors/src/tensor.rs: test_serialization, test_empty, test_serialization_forced_alignement),
// the real TinyStories-656K checkpoint, and the lazy-open guarantee on a sparse 4 GB file.
using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using TuneSharp.Tensors.IO;

namespace TuneSharp.Tensors.Tests;

public sealed class SafeTensorsRoundTripTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("st-roundtrip-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    private static byte[] RandomBytes(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    [Fact]
    public void OpensThroughASymbolicLink_AsHubCachesStoreWeights()
    {
        // huggingface_hub: snapshots/<rev>/model.safetensors → ../../blobs/<sha>.
        var blob = PathOf("blob");
        SafeTensorsWriter.Write(blob, [("w", "F32", new long[] { 2 }, (ReadOnlyMemory<byte>)RandomBytes(8, 3))]);
        var link = PathOf("model.safetensors");
        File.CreateSymbolicLink(link, blob);
        using var file = SafeTensorsFile.Open(link);
        Assert.Equal(new FileInfo(blob).Length, file.FileLength);
        Assert.Equal(1, file.Count);
    }

    [Fact]
    public void EveryDTypeRoundTripsAsRawBytes()
    {
        // 8 elements fill whole bytes for every dtype, F4 (4 bits) and F6 (6 bits) included.
        var inputs = SafeTensorsDTypes.All.Select((d, i) =>
        {
            int bytes = 8 * SafeTensorsDTypes.BitSize(d) / 8;
            return ($"t.{d}", d, new long[] { 2, 4 }, (ReadOnlyMemory<byte>)RandomBytes(bytes, i));
        }).ToArray();
        string path = PathOf("all.safetensors");
        SafeTensorsWriter.Write(path, inputs);

        using var file = SafeTensorsFile.Open(path);
        Assert.Equal(inputs.Length, file.Count);
        foreach (var (name, dtype, shape, data) in inputs)
        {
            Assert.True(file.TryGetInfo(name, out var info));
            Assert.Equal(dtype, info.DType);
            Assert.Equal(shape, info.Shape);
            Assert.Equal(8, info.ElementCount);
            Assert.Equal(data.ToArray(), file.GetBytes(name).ToArray());
            if (SafeTensorsDTypes.TryGetComputeDType(dtype, out var compute))
            {
                using var t = file.GetTensor(name);
                Assert.Equal(compute, t.DType);
                Assert.Equal(new Shape(2, 4), t.Shape);
                Assert.True(t.IsMemoryMapped);
                Assert.Equal(data.ToArray(), t.AsBytes().ToArray());
            }
            else
            {
                var e = Assert.Throws<NotSupportedException>(() => file.GetTensor(name));
                Assert.Contains($"dtype {dtype} is not supported as a compute tensor", e.Message);
                Assert.Contains(name, e.Message);
            }
        }
    }

    [Fact]
    public void WriterOrdersByDescendingAlignmentThenNameSoDataIsAligned()
    {
        var inputs = new (string, string, long[], ReadOnlyMemory<byte>)[]
        {
            ("b", "U8", [3], new byte[3]),
            ("a", "F32", [1], new byte[4]),
            ("c", "I64", [1], new byte[8]),
            ("z", "F16", [3], new byte[6]),
            ("y", "F64", [2], new byte[16]),
            ("d", "BF16", [1], new byte[2]),
        };
        string path = PathOf("order.safetensors");
        SafeTensorsWriter.Write(path, inputs);
        using var file = SafeTensorsFile.Open(path);
        // Crate order: U64 > I64 > F64 > C64 > F32 > … > BF16 > F16 > … > U8.
        Assert.Equal(["c", "y", "a", "d", "z", "b"], file.Names);
        Assert.Equal(0, file.DataStart % 8);
        foreach (var info in file.Tensors)
            Assert.Equal(0, info.FileOffset % (SafeTensorsDTypes.BitSize(info.DType) / 8));
        Assert.Equal(0, file.GetInfo("c").DataBegin);
        Assert.Equal(file.FileLength - file.DataStart, file.GetInfo("b").DataEnd);
    }

    [Fact]
    public void ComputeTensorsRoundTripWithMetadata()
    {
        var values = Enumerable.Range(0, 24).Select(i => i * 0.37f - 3f).ToArray();
        using var f32 = Tensor.FromArray(values, 2, 3, 4);
        using var bf16 = Tensor.FromArrayBf16(values, 4, 6);
        using var f16 = f32.To(DType.F16);
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "pt",
            ["quote\"and\\slash"] = "line\nbreak\ttab",
            ["unicode ключ ✓"] = "값 🙂",
            ["empty"] = "",
        };
        string path = PathOf("compute.safetensors");
        SafeTensorsWriter.Write(path, [("w.f32", f32), ("w.bf16", bf16), ("w.f16", f16)], metadata);

        using var file = SafeTensorsFile.Open(path);
        Assert.Equal(metadata.OrderBy(p => p.Key), file.Metadata.OrderBy(p => p.Key));
        using (var t = file.GetTensor("w.f32"))
        {
            Assert.Equal(new Shape(2, 3, 4), t.Shape);
            Assert.Equal(values, t.ToFloatArray());
        }
        using (var t = file.GetTensor("w.bf16"))
        {
            Assert.Equal(DType.BF16, t.DType);
            Assert.Equal(bf16.AsBytes().ToArray(), t.AsBytes().ToArray());
        }
        using (var t = file.GetTensor("w.f16"))
        {
            Assert.Equal(DType.F16, t.DType);
            Assert.Equal(f16.AsBytes().ToArray(), t.AsBytes().ToArray());
        }
    }

    [Fact]
    public void EmptyTensorsAndScalarsRoundTrip()
    {
        using var scalar = Tensor.FromArray([3.5f]).Reshape();
        using var empty0 = Tensor.Zeros(0, 5);
        using var empty1 = Tensor.Zeros(DType.BF16, 3, 0);
        using var one = Tensor.FromArray([1f, 2f], 2);
        string path = PathOf("edge.safetensors");
        SafeTensorsWriter.Write(path, [("scalar", scalar), ("e0", empty0), ("e1", empty1), ("one", one)]);

        using var file = SafeTensorsFile.Open(path);
        Assert.Empty(file.GetInfo("scalar").Shape);
        using (var s = file.GetTensor("scalar"))
        {
            Assert.Equal(0, s.Rank);
            Assert.Equal([3.5f], s.ToFloatArray());
        }
        using (var e = file.GetTensor("e0"))
        {
            Assert.Equal(new Shape(0, 5), e.Shape);
            Assert.Equal(0, e.ByteLength);
        }
        Assert.Equal(new long[] { 3, 0 }, file.GetInfo("e1").Shape);
        Assert.Equal(0, file.GetBytes("e1").Length);
        using var o = file.GetTensor("one");
        Assert.Equal([1f, 2f], o.ToFloatArray());
    }

    [Fact]
    public void ZeroSizeRawTensorWithHugeDimensionReadsButIsNotAComputeTensor()
    {
        string path = PathOf("huge-dim.safetensors");
        SafeTensorsWriter.Write(path, new (string, string, long[], ReadOnlyMemory<byte>)[] { ("z", "F32", [0, 1L << 40], ReadOnlyMemory<byte>.Empty) });
        using var file = SafeTensorsFile.Open(path);
        Assert.Equal(new long[] { 0, 1L << 40 }, file.GetInfo("z").Shape);
        Assert.Throws<NotSupportedException>(() => file.GetTensor("z"));
    }

    [Fact]
    public void ManyTensorsRoundTrip()
    {
        const int count = 5000;
        var tensors = Enumerable.Range(0, count).Select(i => ($"layer.{i}.w", Tensor.FromArray([i, -i, i * 0.5f], 3))).ToList();
        string path = PathOf("many.safetensors");
        SafeTensorsWriter.Write(path, tensors);
        foreach (var (_, t) in tensors) t.Dispose();

        using var file = SafeTensorsFile.Open(path);
        Assert.Equal(count, file.Count);
        for (int i = 0; i < count; i += 97)
        {
            using var t = file.GetTensor($"layer.{i}.w");
            Assert.Equal([i, -i, i * 0.5f], t.ToFloatArray());
        }
    }

    [Fact]
    public void MatchesTheCrateGoldenBytes()
    {
        // test_serialization: one F32 [1,2,3] tensor; the 64-byte JSON needs no padding.
        var data = new float[] { 0, 1, 2, 3, 4, 5 };
        using var attn = Tensor.FromArray(data, 1, 2, 3);
        string path = PathOf("golden1.safetensors");
        SafeTensorsWriter.Write(path, [("attn.0", attn)]);
        var expected = Golden("{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}", data);
        Assert.Equal(64 + 8 + 24, expected.Length);
        Assert.Equal(expected, File.ReadAllBytes(path));

        // test_serialization_forced_alignement: 65-byte JSON padded with 7 spaces to 72.
        using var attn0 = Tensor.FromArray(data, 1, 1, 2, 3);
        SafeTensorsWriter.Write(path, [("attn0", attn0)]);
        expected = Golden("{\"attn0\":{\"dtype\":\"F32\",\"shape\":[1,1,2,3],\"data_offsets\":[0,24]}}       ", data);
        Assert.Equal(72UL, BinaryPrimitives.ReadUInt64LittleEndian(expected));
        Assert.Equal(expected, File.ReadAllBytes(path));

        // test_empty: no tensors → "{}" + 6 spaces; with metadata {"framework": "pt"} → 40 bytes.
        SafeTensorsWriter.Write(path, Array.Empty<(string, Tensor)>());
        Assert.Equal(Golden("{}      ", []), File.ReadAllBytes(path));
        SafeTensorsWriter.Write(path, Array.Empty<(string, Tensor)>(), new Dictionary<string, string> { ["framework"] = "pt" });
        Assert.Equal(Golden("{\"__metadata__\":{\"framework\":\"pt\"}}     ", []), File.ReadAllBytes(path));
        using var file = SafeTensorsFile.Open(path);
        Assert.Equal(0, file.Count);
        Assert.Equal("pt", file.Metadata["framework"]);
    }

    private static byte[] Golden(string header, float[] data)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + data.Length * 4];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)h.Length);
        h.CopyTo(bytes, 8);
        for (int i = 0; i < data.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(8 + h.Length + 4 * i), data[i]);
        return bytes;
    }

    [Fact]
    public void ReadsTheCrateDocumentationExample()
    {
        // The crate's SafeTensors::deserialize doc example: I32 [2,2] with a 60-byte ('<') unpadded header.
        var header = Encoding.UTF8.GetBytes("{\"test\":{\"dtype\":\"I32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}");
        Assert.Equal((byte)'<', (byte)header.Length);
        var bytes = new byte[8 + header.Length + 16];
        bytes[0] = (byte)header.Length;
        header.CopyTo(bytes, 8);
        string path = PathOf("doc.safetensors");
        File.WriteAllBytes(path, bytes);
        using var file = SafeTensorsFile.Open(path);
        var info = file.GetInfo("test");
        Assert.Equal("I32", info.DType);
        Assert.Equal(new long[] { 2, 2 }, info.Shape);
        Assert.Equal(16, file.GetBytes("test").Length);
    }

    [Fact]
    public void TensorsOutliveTheFileObject()
    {
        using var src = Tensor.FromArray([1f, 2f, 3f, 4f], 2, 2);
        string path = PathOf("outlive.safetensors");
        SafeTensorsWriter.Write(path, [("w", src)]);
        var file = SafeTensorsFile.Open(path);
        var t = file.GetTensor("w");
        var row = t.Slice(1, 1);
        file.Dispose();
        file.Dispose(); // idempotent
        Assert.Throws<ObjectDisposedException>(() => file.GetTensor("w"));
        Assert.Throws<ObjectDisposedException>(() => file.GetBytes("w").Length);
        Assert.Equal([1f, 2f, 3f, 4f], t.ToFloatArray());
        t.Dispose();
        Assert.Equal([3f, 4f], row.ToFloatArray()); // the view still holds the mapping
        row.Dispose();
        Assert.Throws<ObjectDisposedException>(() => row.Span.Length);
    }

    [Fact]
    public void MappedTensorsAreReadOnlyViewsWithoutCopy()
    {
        using var src = Tensor.FromArray([1f, 2f], 2);
        string path = PathOf("view.safetensors");
        SafeTensorsWriter.Write(path, [("a", src), ("b", src)]);
        using var file = SafeTensorsFile.Open(path);
        using var a1 = file.GetTensor("a");
        using var a2 = file.GetTensor("a");
        using var b = file.GetTensor("b");
        Assert.Same(a1.Storage, b.Storage); // one mapping for the file
        Assert.True(a1.IsMemoryMapped);
        using var copy = a1.Clone();
        Assert.False(copy.IsMemoryMapped);
        copy.Span[0] = 42f;
        Assert.Equal(1f, a2.Span[0]);
    }

    [Fact]
    public void FailedWriteLeavesNoPartialFileAndKeepsTheOldOne()
    {
        string path = PathOf("atomic.safetensors");
        using var keep = Tensor.FromArray([7f], 1);
        SafeTensorsWriter.Write(path, [("old", keep)]);
        var before = File.ReadAllBytes(path);

        // "zz" sorts last, so the header and "a" are already streamed when its disposed storage throws.
        using var good = Tensor.FromArray(new float[4096], 4096);
        var disposed = Tensor.FromArray([1f], 1);
        disposed.Dispose();
        Assert.Throws<ObjectDisposedException>(() => SafeTensorsWriter.Write(path, [("a", good), ("zz", disposed)]));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(["atomic.safetensors"], Directory.GetFiles(_dir).Select(p => Path.GetFileName(p)!));

        string fresh = PathOf("fresh.safetensors");
        Assert.Throws<ObjectDisposedException>(() => SafeTensorsWriter.Write(fresh, [("a", good), ("zz", disposed)]));
        Assert.False(File.Exists(fresh));
        Assert.Single(Directory.GetFiles(_dir));
    }

    [Fact]
    public void OverwritingAnOpenFileKeepsOldViewsIntact()
    {
        string path = PathOf("overwrite.safetensors");
        using var v1 = Tensor.FromArray([1f, 2f], 2);
        SafeTensorsWriter.Write(path, [("w", v1)]);
        using var file = SafeTensorsFile.Open(path);
        using var old = file.GetTensor("w");
        using var v2 = Tensor.FromArray([5f, 6f, 7f], 3);
        SafeTensorsWriter.Write(path, [("w", v2)]); // rename replaces the directory entry, not the mapped inode
        Assert.Equal([1f, 2f], old.ToFloatArray());
        using var reopened = SafeTensorsFile.Open(path);
        using var fresh = reopened.GetTensor("w");
        Assert.Equal([5f, 6f, 7f], fresh.ToFloatArray());
    }

    [Fact]
    public void WriterRejectsBadInput()
    {
        string path = PathOf("bad.safetensors");
        using var t = Tensor.Zeros(2);
        Assert.Throws<ArgumentException>(() => SafeTensorsWriter.Write(path, [("a", t), ("a", t)]));
        Assert.Throws<ArgumentException>(() => SafeTensorsWriter.Write(path, [("__metadata__", t)]));
        Assert.Throws<ArgumentException>(() => SafeTensorsWriter.Write(path, new (string, string, long[], ReadOnlyMemory<byte>)[] { ("x", "F33", [1], new byte[4]) }));
        Assert.Throws<ArgumentException>(() => SafeTensorsWriter.Write(path, new (string, string, long[], ReadOnlyMemory<byte>)[] { ("x", "F32", [2], new byte[4]) }));
        Assert.Throws<ArgumentException>(() => SafeTensorsWriter.Write(path, new (string, string, long[], ReadOnlyMemory<byte>)[] { ("x", "F32", [-1], new byte[0]) }));
        Assert.Throws<ArgumentException>(() => SafeTensorsWriter.Write(path, new (string, string, long[], ReadOnlyMemory<byte>)[] { ("x", "F4", [3], new byte[2]) }));
        Assert.False(File.Exists(path));
        Assert.Empty(Directory.GetFiles(_dir));
    }

    [Fact]
    public void OpensTheRealTinyStoriesCheckpoint()
    {
        string path = TuneSharp.Testing.SharedAssets.Require("models/tinystories-656k/model.safetensors");
        using var file = SafeTensorsFile.Open(path);
        Assert.Equal(20, file.Count); // lm_head + 2 layers × 9 + final norm (embeddings tied, stored once)
        Assert.All(file.Tensors, t => Assert.Equal("F32", t.DType));
        Assert.Equal(new long[] { 2048, 128 }, file.GetInfo("lm_head.weight").Shape);
        Assert.Equal(new long[] { 64, 128 }, file.GetInfo("model.layers.1.self_attn.k_proj.weight").Shape);
        Assert.Equal(new long[] { 128, 384 }, file.GetInfo("model.layers.0.mlp.down_proj.weight").Shape);
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.False(file.Contains("model.embed_tokens.weight"));
        Assert.True(file.TryGetAlias("model.embed_tokens.weight", out var target));
        Assert.Equal("lm_head.weight", target);
        Assert.False(file.TryGetAlias("lm_head.weight", out _));

        // Reference values read with numpy from the same file.
        using var norm = file.GetTensor("model.norm.weight");
        Assert.Equal([0.640625f, 0.69921875f, 0.68359375f, 0.6484375f], norm.Span[..4].ToArray());
        Assert.Equal(83.99560546875, norm.Span.ToArray().Sum(x => (double)x), 1e-6);
        using var head = file.GetTensor("lm_head.weight");
        Assert.Equal([-0.68359375f, -0.02587890625f, 0.58984375f], head.Span[..3].ToArray());
        Assert.Equal(104273.10441744328, head.Span.ToArray().Sum(x => Math.Abs((double)x)), 1e-3);
    }

    [Fact]
    public void RewritingTheRealCheckpointReproducesItByteForByte()
    {
        // The file was written by the Python safetensors library (all F32, so its order is by name, metadata first);
        // writing the mapped tensors back must give the identical bytes, padding included.
        string path = TuneSharp.Testing.SharedAssets.Require("models/tinystories-656k/model.safetensors");
        string copy = PathOf("copy.safetensors");
        using (var file = SafeTensorsFile.Open(path))
        {
            var tensors = file.Names.Select(n => (n, file.GetTensor(n))).ToList();
            SafeTensorsWriter.Write(copy, tensors, file.Metadata);
            foreach (var (_, t) in tensors) t.Dispose();
        }
        Assert.Equal(File.ReadAllBytes(path), File.ReadAllBytes(copy));
    }

    [Fact]
    public void OpeningASparseFourGigabyteFileTouchesOnlyTheHeader()
    {
        // 4 GiB of F32 followed by a 2-element tail; the file is sparse (SetLength), so reading the data region
        // would fault in a million pages and show up in the resident set.
        const long big = 1L << 30; // elements
        byte[] header = SafeTensorsWriter.BuildHeader([("big", "F32", [big]), ("tail", "F32", [2])]);
        string path = PathOf("sparse.safetensors");
        using (var fs = new FileStream(path, FileMode.CreateNew))
        {
            Span<byte> prefix = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
            fs.Write(prefix);
            fs.Write(header);
            fs.SetLength(8 + header.Length + big * 4 + 8);
        }
        var process = Process.GetCurrentProcess();
        process.Refresh();
        long rssBefore = process.WorkingSet64;
        var sw = Stopwatch.StartNew();
        using (var file = SafeTensorsFile.Open(path))
        {
            using var t = file.GetTensor("big"); // a view: no bytes read
            Assert.Equal(big, t.ElementCount);
            using var tail = file.GetTensor("tail");
            Assert.Equal([0f, 0f], tail.ToFloatArray()); // touches only the last page
            Assert.Equal(big * 4, file.GetInfo("tail").DataBegin);
        }
        sw.Stop();
        process.Refresh();
        long grown = process.WorkingSet64 - rssBefore;
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(2), $"open took {sw.Elapsed}");
        Assert.True(grown < 64L << 20, $"resident set grew by {grown >> 20} MiB while opening a sparse 4 GiB file");
    }
}
