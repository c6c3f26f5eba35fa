// Loading: sharded folders, dtype conversion, and bad input reported at once with the file and tensor named.
using TuneSharp.Tensors;
using TuneSharp.Tensors.IO;
using TuneSharp.Testing;

namespace TuneSharp.Models.Tests;

public sealed class ModelLoadingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ts-models-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Fixture(string variant) => SharedAssets.Golden(Path.Combine("models", variant, "model"));

    /// <summary>Copies a fixture model, letting <paramref name="edit"/> change its tensor list.</summary>
    private string CopyWith(string variant, Func<List<(string Name, Tensor Tensor)>, List<(string Name, Tensor Tensor)>> edit, long shardBytes = 0)
    {
        var dst = Path.Combine(_dir, variant + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(dst);
        File.Copy(Path.Combine(Fixture(variant), "config.json"), Path.Combine(dst, "config.json"));
        using var st = SafeTensorsModel.Open(Fixture(variant));
        var list = edit(st.Names.Select(n => (n, st.GetTensor(n))).ToList());
        if (shardBytes > 0) SafeTensorsWriter.WriteSharded(dst, list, shardBytes);
        else SafeTensorsWriter.Write(Path.Combine(dst, "model.safetensors"), list);
        foreach (var (_, t) in list) t.Dispose();
        return dst;
    }

    private static float[] Logits(CausalLM m)
    {
        using var input = CausalLMInput.Create(new[] { 1, 2, 3, 4, 5 }, 1);
        return m.ComputeLogits(input);
    }

    [Fact]
    public void Sharded_LoadsLikeSingleFile()
    {
        var folder = CopyWith("qwen3", l => l, shardBytes: 20_000);
        Assert.True(File.Exists(Path.Combine(folder, SafeTensorsModel.IndexFileName)));
        using var a = CausalLM.FromPretrained(Fixture("qwen3"));
        using var b = CausalLM.FromPretrained(folder);
        NumericAssert.Close(Logits(a), Logits(b), 0, 0, "sharded logits");
    }

    [Fact]
    public void BFloat16Option_ConvertsMatricesOnly()
    {
        using var a = CausalLM.FromPretrained(Fixture("llama_gqa"));
        using var b = CausalLM.FromPretrained(Fixture("llama_gqa"), new ModelLoadOptions { DType = ModelDType.BFloat16 });
        Assert.Equal(DType.BF16, b.GetLinear("model.layers.0.self_attn.q_proj").Weight.DType);
        Assert.Equal(DType.F32, b.Norm.Weight.DType);
        NumericAssert.Close(Logits(a), Logits(b), 0.05, 0.05, "bf16 logits");
    }

    [Fact]
    public void LinearsAreNamedLikeHf()
    {
        using var m = CausalLM.FromPretrained(Fixture("gemma2"));
        var names = m.Linears.Select(l => l.Name).ToList();
        Assert.Equal(3 * 7, names.Count);
        Assert.Contains("model.layers.2.mlp.down_proj", names);
        Assert.Same(m.EmbedTokens.Weight, m.LmHead.Weight); // tied
        Assert.False(m.GetLinear("model.layers.0.self_attn.q_proj").Weight.RequiresGrad);
        Assert.Throws<KeyNotFoundException>(() => m.GetLinear("model.layers.9.self_attn.q_proj"));
    }

    [Fact]
    public void AllProblems_ReportedAtOnce()
    {
        var folder = CopyWith("llama_gqa", l =>
        {
            l.RemoveAll(x => x.Name == "model.layers.1.mlp.up_proj.weight");
            int i = l.FindIndex(x => x.Name == "model.norm.weight");
            l[i] = (l[i].Name, Tensor.Zeros(7));
            l.Add(("model.layers.0.self_attn.extra.weight", Tensor.Zeros(2)));
            return l;
        });
        var e = Assert.Throws<ModelLoadException>(() => CausalLM.FromPretrained(folder));
        Assert.Contains("model.layers.1.mlp.up_proj.weight", e.Message);
        Assert.Contains("model.norm.weight", e.Message);
        Assert.Contains("expected [40], found [7]", e.Message);
        Assert.Contains("model.layers.0.self_attn.extra.weight", e.Message);
        Assert.Contains("model.safetensors", e.Message);
    }

    [Fact]
    public void TruncatedShard_NamesTheFile()
    {
        var folder = CopyWith("llama_gqa", l => l, shardBytes: 20_000);
        var shard = Directory.GetFiles(folder, "model-*.safetensors").Order().Last();
        var bytes = File.ReadAllBytes(shard);
        File.WriteAllBytes(shard, bytes[..(bytes.Length - 100)]);
        var e = Assert.Throws<ModelLoadException>(() => CausalLM.FromPretrained(folder));
        Assert.Contains(Path.GetFileName(shard), e.Message);
    }

    [Fact]
    public void BadConfig_NamesTheField()
    {
        var folder = CopyWith("llama_gqa", l => l);
        var cfg = Path.Combine(folder, "config.json");
        File.WriteAllText(cfg, File.ReadAllText(cfg).Replace("\"hidden_size\"", "\"hidden_sizeX\""));
        var e = Assert.Throws<ModelLoadException>(() => CausalLM.FromPretrained(folder));
        Assert.Contains("hidden_size", e.Message);
        Assert.Contains("config.json", e.Message);
    }

    [Fact]
    public void Gguf_UnsupportedArchitecture_NamesFileAndValue()
    {
        // A copy of the TinyStories GGUF with general.architecture "llama" overwritten in place by another 5-byte name.
        var src = SharedAssets.Require("models/tinystories-656k/TinyStories-656K-Q8_0.gguf");
        var bytes = File.ReadAllBytes(src);
        var key = "general.architecture"u8.ToArray();
        int at = bytes.AsSpan().IndexOf(key);
        Assert.True(at > 0);
        // key, then u32 type (8 = string), u64 length, bytes.
        int valueAt = at + key.Length + 4 + 8;
        "qwen9"u8.CopyTo(bytes.AsSpan(valueAt, 5));
        var path = Path.Combine(_dir, "other.gguf");
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<ModelLoadException>(() => CausalLM.FromPretrained(path));
        Assert.Contains("other.gguf", e.Message);
        Assert.Contains("qwen9", e.Message);
        Assert.Contains("general.architecture", e.Message);
    }
}
