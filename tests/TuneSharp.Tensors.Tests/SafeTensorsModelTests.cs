// SafeTensorsModel over single files and transformers-style shards + model.safetensors.index.json, and
// SafeTensorsWriter.WriteSharded (shard naming and index layout of transformers' save_pretrained).
using System.Text.Json;
using TuneSharp.Tensors.IO;

namespace TuneSharp.Tensors.Tests;

public sealed class SafeTensorsModelTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("st-model-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static List<(string Name, Tensor Tensor)> MakeTensors(int count, int size)
    {
        var list = new List<(string, Tensor)>();
        for (int i = 0; i < count; i++)
            list.Add(($"model.layers.{i}.weight", Tensor.FromArray(Enumerable.Range(0, size).Select(j => i * 1000f + j).ToArray(), size)));
        return list;
    }

    private static void DisposeAll(List<(string Name, Tensor Tensor)> tensors)
    {
        foreach (var (_, t) in tensors) t.Dispose();
    }

    [Fact]
    public void ShardedWriteAndReadRoundTrip()
    {
        var tensors = MakeTensors(7, 100); // 400 bytes each
        var written = SafeTensorsWriter.WriteSharded(_dir, tensors, maxShardBytes: 1000, new Dictionary<string, string> { ["format"] = "pt" });
        // Greedy in input order: 2 tensors (800 B) per shard → 4 shards.
        Assert.Equal(
            ["model-00001-of-00004.safetensors", "model-00002-of-00004.safetensors", "model-00003-of-00004.safetensors", "model-00004-of-00004.safetensors", "model.safetensors.index.json"],
            written.Select(p => Path.GetFileName(p)!).ToArray());

        using (var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(_dir, SafeTensorsModel.IndexFileName))))
        {
            Assert.Equal(2800, doc.RootElement.GetProperty("metadata").GetProperty("total_size").GetInt64());
            var map = doc.RootElement.GetProperty("weight_map");
            Assert.Equal("model-00001-of-00004.safetensors", map.GetProperty("model.layers.1.weight").GetString());
            Assert.Equal("model-00004-of-00004.safetensors", map.GetProperty("model.layers.6.weight").GetString());
        }

        using var model = SafeTensorsModel.Open(_dir);
        Assert.Equal(4, model.Shards.Count);
        Assert.Equal(7, model.Count);
        Assert.Empty(model.UnindexedNames);
        Assert.Equal("2800", model.Metadata["total_size"]);
        Assert.Equal("pt", model.Shards[0].Metadata["format"]);
        foreach (var (name, t) in tensors)
        {
            Assert.True(model.TryGetInfo(name, out var info));
            Assert.Equal("F32", info.DType);
            using var read = model.GetTensor(name);
            Assert.Equal(t.ToFloatArray(), read.ToFloatArray());
            Assert.Equal(400, model.GetBytes(name).Length);
        }
        Assert.EndsWith("model-00003-of-00004.safetensors", model.GetFile("model.layers.5.weight").Path);
        Assert.Equal(2800, model.TotalBytes);
        Assert.Throws<KeyNotFoundException>(() => model.GetTensor("missing"));

        // Opening the index path directly works too.
        using var viaIndex = SafeTensorsModel.Open(Path.Combine(_dir, SafeTensorsModel.IndexFileName));
        Assert.Equal(7, viaIndex.Count);
        DisposeAll(tensors);
    }

    [Fact]
    public void ASingleShardIsWrittenWithoutAnIndexAndStaleShardsGo()
    {
        var tensors = MakeTensors(4, 10);
        SafeTensorsWriter.WriteSharded(_dir, tensors, maxShardBytes: 50);
        Assert.True(File.Exists(Path.Combine(_dir, SafeTensorsModel.IndexFileName)));
        var written = SafeTensorsWriter.WriteSharded(_dir, tensors, maxShardBytes: 1 << 20);
        Assert.Equal(["model.safetensors"], written.Select(p => Path.GetFileName(p)!).ToArray());
        Assert.Equal(["model.safetensors"], Directory.GetFiles(_dir).Select(p => Path.GetFileName(p)!).ToArray());
        using var model = SafeTensorsModel.Open(_dir);
        Assert.Null(model.IndexPath);
        Assert.Equal(4, model.Count);
        DisposeAll(tensors);
    }

    [Fact]
    public void ATensorLargerThanTheShardLimitGetsItsOwnShard()
    {
        var tensors = new List<(string Name, Tensor Tensor)>
        {
            ("a", Tensor.Zeros(10)), ("big", Tensor.Zeros(1000)), ("c", Tensor.Zeros(10)),
        };
        var written = SafeTensorsWriter.WriteSharded(_dir, tensors, maxShardBytes: 100);
        Assert.Equal(4, written.Count); // 3 shards + index
        using var model = SafeTensorsModel.Open(_dir);
        Assert.Equal(3, model.Shards.Count);
        Assert.Equal(1000, model.GetInfo("big").ElementCount);
        DisposeAll(tensors);
    }

    [Fact]
    public void FolderWithOneArbitrarilyNamedFile()
    {
        using var t = Tensor.Zeros(3);
        SafeTensorsWriter.Write(Path.Combine(_dir, "adapter_model.safetensors"), [("x", t)]);
        using var model = SafeTensorsModel.Open(_dir);
        Assert.Equal(["x"], model.Names.ToArray());
        using var direct = SafeTensorsModel.Open(Path.Combine(_dir, "adapter_model.safetensors"));
        Assert.Equal(1, direct.Count);
    }

    [Fact]
    public void AmbiguousOrEmptyFolders()
    {
        Assert.Throws<FileNotFoundException>(() => SafeTensorsModel.Open(_dir));
        Assert.Throws<DirectoryNotFoundException>(() => SafeTensorsModel.Open(Path.Combine(_dir, "nope")));
        using var t = Tensor.Zeros(3);
        SafeTensorsWriter.Write(Path.Combine(_dir, "a.safetensors"), [("x", t)]);
        SafeTensorsWriter.Write(Path.Combine(_dir, "b.safetensors"), [("y", t)]);
        var e = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsModel.Open(_dir));
        Assert.Contains("a.safetensors", e.Message);
    }

    private void WriteIndex(string json) => File.WriteAllText(Path.Combine(_dir, SafeTensorsModel.IndexFileName), json);

    private void WriteShard(string file, params string[] names)
    {
        var tensors = names.Select(n => (n, Tensor.Zeros(2))).ToList();
        SafeTensorsWriter.Write(Path.Combine(_dir, file), tensors);
        foreach (var (_, t) in tensors) t.Dispose();
    }

    private SafeTensorsFormatException IndexFails(string fragment, string? tensor = null)
    {
        var e = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsModel.Open(_dir));
        Assert.Contains(SafeTensorsModel.IndexFileName, e.Message);
        Assert.Contains(fragment, e.Message);
        if (tensor != null) Assert.Equal(tensor, e.TensorName);
        return e;
    }

    [Fact]
    public void MissingShardIsReported()
    {
        WriteShard("s1.safetensors", "a");
        WriteIndex("{\"weight_map\":{\"a\":\"s1.safetensors\",\"b\":\"s2.safetensors\"}}");
        var e = IndexFails("shard 's2.safetensors'");
        Assert.IsType<FileNotFoundException>(e.InnerException);
    }

    [Fact]
    public void NameNotInItsShardIsReported()
    {
        WriteShard("s1.safetensors", "a");
        WriteShard("s2.safetensors", "b");
        WriteIndex("{\"weight_map\":{\"a\":\"s2.safetensors\",\"b\":\"s2.safetensors\"}}");
        IndexFails("puts it in 's2.safetensors' but that shard has no such tensor", "a");
    }

    [Fact]
    public void NamesMissingFromTheIndexAreListed()
    {
        WriteShard("s1.safetensors", "a", "extra2", "extra1");
        WriteIndex("{\"metadata\":{\"total_size\":8,\"note\":\"x\"},\"weight_map\":{\"a\":\"s1.safetensors\"}}");
        using var model = SafeTensorsModel.Open(_dir);
        Assert.Equal(["a"], model.Names.ToArray());
        Assert.Equal(["extra1", "extra2"], model.UnindexedNames.ToArray());
        Assert.False(model.Contains("extra1"));
        Assert.Equal("8", model.Metadata["total_size"]);
        Assert.Equal("x", model.Metadata["note"]);
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("[]", "not a JSON object")]
    [InlineData("{\"metadata\":{}}", "no 'weight_map'")]
    [InlineData("{\"weight_map\":{\"a\":1}}", "must be a shard file name")]
    [InlineData("{\"weight_map\":{\"a\":\"../s1.safetensors\"}}", "not a plain file name")]
    [InlineData("{\"weight_map\":{\"a\":\"/etc/passwd\"}}", "not a plain file name")]
    [InlineData("{\"weight_map\":{\"a\":\"s1.safetensors\",\"a\":\"s1.safetensors\"}}", "duplicate key")]
    public void MalformedIndex(string json, string fragment)
    {
        WriteShard("s1.safetensors", "a");
        WriteIndex(json);
        IndexFails(fragment);
    }

    [Fact]
    public void ABadShardNamesTheShard()
    {
        File.WriteAllBytes(Path.Combine(_dir, "s1.safetensors"), [1, 2, 3]);
        WriteIndex("{\"weight_map\":{\"a\":\"s1.safetensors\"}}");
        var e = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsModel.Open(_dir));
        Assert.EndsWith("s1.safetensors", e.FilePath);
    }

    [Fact]
    public void AliasesResolveAcrossShards()
    {
        using var t = Tensor.Zeros(2);
        SafeTensorsWriter.Write(Path.Combine(_dir, "s1.safetensors"), [("lm_head.weight", t)],
            new Dictionary<string, string> { ["model.embed_tokens.weight"] = "lm_head.weight" });
        SafeTensorsWriter.Write(Path.Combine(_dir, "s2.safetensors"), [("other", t)]);
        WriteIndex("{\"weight_map\":{\"lm_head.weight\":\"s1.safetensors\",\"other\":\"s2.safetensors\"}}");
        using var model = SafeTensorsModel.Open(_dir);
        Assert.True(model.TryGetAlias("model.embed_tokens.weight", out var target));
        Assert.Equal("lm_head.weight", target);
        Assert.False(model.TryGetAlias("other", out _));
    }

    [Fact]
    public void OpensTheRealTinyStoriesFolder()
    {
        string folder = TuneSharp.Testing.SharedAssets.Require("models/tinystories-656k");
        using var model = SafeTensorsModel.Open(folder);
        Assert.Null(model.IndexPath);
        Assert.Equal(20, model.Count);
        Assert.True(model.TryGetAlias("model.embed_tokens.weight", out var target));
        using var emb = model.GetTensor(target);
        Assert.Equal(new Shape(2048, 128), emb.Shape);
    }
}
