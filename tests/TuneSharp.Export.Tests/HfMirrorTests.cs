// The merged HF folder is what transformers' loading code reads: tests/golden/gen_export.py ran `tunesharp export --to hf`
// on committed base models and PEFT adapters, loaded each folder strictly like from_pretrained (dtype, shard index, no
// missing or unexpected keys) into the PyTorch mirror and committed its logits. Here we export the same cases, check the
// same file layout, and require our engine's logits on our export to equal the mirror's within 1e-4 relative.
using System.Text.Json;
using TuneSharp.Export.Hf;
using TuneSharp.Export.Merge;
using TuneSharp.Models;
using TuneSharp.Tensors;
using TuneSharp.Tensors.IO;
using TuneSharp.Testing;
using Xunit.Abstractions;

namespace TuneSharp.Export.Tests;

public sealed class HfMirrorTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ts-hfmirror-").FullName;

    private static JsonElement Meta() => JsonDocument.Parse(File.ReadAllText(SharedAssets.Golden("export/meta.json"))).RootElement;

    public static IEnumerable<object[]> Cases() => Meta().GetProperty("cases").EnumerateArray().Select(c => new object[] { c.GetProperty("name").GetString()! });

    [Theory]
    [MemberData(nameof(Cases))]
    public void MergedFolder_LoadsInPyTorchMirror_SameLogits(string name)
    {
        var c = Meta().GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        string variant = c.GetProperty("variant").GetString()!;
        var baseDir = SharedAssets.Golden($"models/{variant}/model");
        var adapter = SharedAssets.Golden($"adapters/{variant}/{c.GetProperty("adapter").GetString()}");
        var dtype = c.GetProperty("dtype").GetString() switch { "bf16" => DType.BF16, "f16" => DType.F16, _ => DType.F32 };
        long shard = c.GetProperty("max_shard_size").GetString() is { } s ? long.Parse(s.TrimEnd('K', 'B'), System.Globalization.CultureInfo.InvariantCulture) * 1000 : 5_000_000_000;
        var outDir = Path.Combine(_dir, name);
        using (var merged = ModelMerger.Load(baseDir, adapter))
            HfFolderWriter.Write(merged, SharedAssets.Require("models/tinystories-656k"), dtype, outDir, shard);

        // The files and every tensor's dtype, shape and shard are what the mirror loaded.
        Assert.Equal(c.GetProperty("files").EnumerateArray().Select(f => f.GetString()!).Order(StringComparer.Ordinal),
            Directory.GetFiles(outDir).Select(Path.GetFileName).Order(StringComparer.Ordinal)!);
        var layout = new Dictionary<string, string>();
        foreach (var f in Directory.GetFiles(outDir, "*.safetensors"))
        {
            using var st = SafeTensorsFile.Open(f);
            Assert.Equal("pt", st.Metadata["format"]);
            foreach (var t in st.Tensors) layout[t.Name] = $"{t.DType} [{string.Join(",", t.Shape)}] {Path.GetFileName(f)}";
        }
        var want = c.GetProperty("layout").EnumerateObject().ToDictionary(p => p.Name,
            p => $"{p.Value[0].GetString()} [{string.Join(",", p.Value[1].EnumerateArray().Select(d => d.GetInt64()))}] {p.Value[2].GetString()}");
        Assert.Equal(want.OrderBy(p => p.Key, StringComparer.Ordinal), layout.OrderBy(p => p.Key, StringComparer.Ordinal));
        using (var cfg = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "config.json"))))
        {
            Assert.Equal(c.GetProperty("torch_dtype").GetString(), cfg.RootElement.GetProperty("torch_dtype").GetString());
            Assert.Equal(c.GetProperty("tie_word_embeddings").GetBoolean(), cfg.RootElement.GetProperty("tie_word_embeddings").GetBoolean());
        }

        // Our engine on our export gives the mirror's logits.
        var ids = c.GetProperty("input_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        using var back = CausalLM.FromPretrained(outDir);
        var got = TinyModels.Logits(back, ids);
        using var expectedFile = SafeTensorsFile.Open(SharedAssets.Golden("export/expected.safetensors"));
        using var expected = expectedFile.GetTensor("logits." + name);
        var e = expected.Span;
        Assert.Equal(e.Length, got.Length);
        double max = 0, scale = 0;
        for (int i = 0; i < e.Length; i++) { max = Math.Max(max, Math.Abs(got[i] - e[i])); scale = Math.Max(scale, Math.Abs(e[i])); }
        output.WriteLine($"{name}: max |logit diff| to the PyTorch mirror {max:G3} = {max / scale:G3} of the largest logit {scale:G3}");
        Assert.True(max <= 1e-4 * scale, $"{name}: our logits differ from the PyTorch mirror's by {max} (largest logit {scale})");
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
