// Merge + HF folder + GGUF adapter: the merged F32 folder equals the adapter-on-base model (1e-5), the HF folder has what
// transformers needs, llama.cpp applying our GGUF LoRA adapter to the base GGUF agrees with our merged GGUF, and bad
// inputs fail clearly without leaving files behind.
using System.Text.Json;
using TuneSharp.Export.Gguf;
using TuneSharp.Export.Hf;
using TuneSharp.Export.Merge;
using TuneSharp.Models;
using TuneSharp.Tensors;
using Xunit.Abstractions;

namespace TuneSharp.Export.Tests;

public sealed class MergeExportTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ts-merge-").FullName;
    private static readonly int[] Prompt = [1, 200, 17, 999, 45, 1500, 3, 77, 640, 12];
    private static readonly string[] AllTargets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj", "embed_tokens", "lm_head"];

    [Theory]
    [InlineData("llama", false)]
    [InlineData("qwen3", true)]
    [InlineData("gemma2", false)]
    public void MergedF32Folder_EqualsAdapterOnBase(string arch, bool rslora)
    {
        var baseDir = TinyFolders.Base(_dir, arch);
        var adapter = TinyFolders.Adapter(_dir, baseDir, AllTargets, rslora);
        float[] reference;
        using (var unmerged = ModelMerger.LoadUnmerged(baseDir, adapter, out _)) reference = TinyModels.Logits(unmerged.Model, Prompt);
        var outDir = Path.Combine(_dir, $"merged-{arch}");
        using (var merged = ModelMerger.Load(baseDir, adapter))
        {
            Assert.Contains(merged.Notes, n => n.Contains("not into dequantized NF4", StringComparison.Ordinal) || n.Contains("not into the dequantized NF4", StringComparison.Ordinal));
            HfFolderWriter.Write(merged, baseDir, DType.F32, outDir);
        }
        using var back = CausalLM.FromPretrained(outDir);
        var got = TinyModels.Logits(back, Prompt);
        // W·x + s·B·(A·x) and (W + s·B·A)·x round differently in F32: compare against the logit scale.
        double max = 0, scale = 0;
        for (int i = 0; i < got.Length; i++) { max = Math.Max(max, Math.Abs(got[i] - reference[i])); scale = Math.Max(scale, Math.Abs(reference[i])); }
        output.WriteLine($"{arch}: max |logit diff| {max:G3}, relative to the largest logit {max / scale:G3}");
        Assert.True(max <= 1e-5 * Math.Max(1, scale), $"{arch}: merged folder differs from adapter-on-base by {max} (largest logit {scale})");
        // The base differs from the adapted model (the adapter does something).
        using var baseModel = CausalLM.FromPretrained(baseDir);
        Assert.NotEqual(TinyModels.Logits(baseModel, Prompt)[5], reference[5]);
    }

    [Fact]
    public void HfFolder_HasConfigGenerationTokenizerShardsAndCard()
    {
        var baseDir = TinyFolders.Base(_dir, "qwen2");
        var adapter = TinyFolders.Adapter(_dir, baseDir, ["q_proj", "v_proj"]);
        var outDir = Path.Combine(_dir, "hf-bf16");
        using (var merged = ModelMerger.Load(baseDir, adapter))
            HfFolderWriter.Write(merged, baseDir, DType.BF16, outDir, maxShardBytes: 1_000_000);
        using var cfg = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "config.json")));
        Assert.Equal("bfloat16", cfg.RootElement.GetProperty("torch_dtype").GetString());
        using var gen = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "generation_config.json")));
        Assert.Equal(2, gen.RootElement.GetProperty("eos_token_id").ValueKind == JsonValueKind.Number ? gen.RootElement.GetProperty("eos_token_id").GetInt32() : gen.RootElement.GetProperty("eos_token_id")[0].GetInt32());
        Assert.True(File.Exists(Path.Combine(outDir, "model.safetensors.index.json")));
        Assert.True(Directory.GetFiles(outDir, "model-*-of-*.safetensors").Length > 1);
        Assert.True(File.Exists(Path.Combine(outDir, "tokenizer.json")));
        var card = File.ReadAllText(Path.Combine(outDir, "README.md"));
        Assert.Contains("r = 4", card);
        Assert.Contains("base_model:", card);
        using var back = CausalLM.FromPretrained(outDir);
        Assert.Equal(DType.BF16, back.Layers[0].SelfAttention.QProj.Weight.Value.DType);
    }

    [Theory]
    [InlineData("llama", new[] { "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj" }, false)]
    [InlineData("qwen2", new[] { "q_proj", "k_proj", "down_proj", "lm_head" }, true)]
    public void GgufAdapter_AppliedByLlamaCpp_AgreesWithMergedGguf(string arch, string[] targets, bool rslora)
    {
        var baseDir = TinyFolders.Base(_dir, arch);
        var adapter = TinyFolders.Adapter(_dir, baseDir, targets, rslora);
        var baseGguf = Path.Combine(_dir, $"{arch}-base.gguf");
        var mergedGguf = Path.Combine(_dir, $"{arch}-merged.gguf");
        var loraGguf = Path.Combine(_dir, $"{arch}-lora.gguf");
        using (var b = ModelMerger.Load(baseDir, null)) GgufModelWriter.Write(b.Model.Config, b.Tensors(), baseDir, GgufFileType.F32, baseGguf);
        using (var m = ModelMerger.Load(baseDir, adapter)) GgufModelWriter.Write(m.Model.Config, m.Tensors(), baseDir, GgufFileType.F32, mergedGguf);
        int n = GgufAdapterWriter.Write(baseDir, adapter, loraGguf);
        Assert.True(n > 0);
        using var withLora = new LlamaCppModel(baseGguf, loraGguf);
        using var mergedCpp = new LlamaCppModel(mergedGguf);
        var a = withLora.Logits(Prompt);
        var b2 = mergedCpp.Logits(Prompt);
        double max = 0, scale = 0;
        for (int t = 0; t < Prompt.Length; t++)
        {
            Assert.Equal(LlamaCppModel.ArgMax(b2[t]), LlamaCppModel.ArgMax(a[t]));
            for (int i = 0; i < a[t].Length; i++) { max = Math.Max(max, Math.Abs(a[t][i] - b2[t][i])); scale = Math.Max(scale, Math.Abs(b2[t][i])); }
        }
        output.WriteLine($"{arch}: llama.cpp base+LoRA vs merged: max |logit diff| {max:G3} (max |logit| {scale:G3})");
        Assert.True(max <= 2e-3 * Math.Max(1, scale));
    }

    [Fact]
    public void BadInputs_FailClearlyAndWriteNothing()
    {
        var baseDir = TinyFolders.Base(_dir, "llama");
        var other = TinyFolders.Base(_dir, "qwen2");
        var otherAdapter = TinyFolders.Adapter(_dir, other, ["q_proj", "o_proj"]);
        // A missing adapter.
        var e1 = Assert.Throws<ExportException>(() => ModelMerger.Load(baseDir, Path.Combine(_dir, "nope")));
        Assert.Contains("not found", e1.Message);
        // An adapter for another base with other shapes (qwen2 q_proj has a bias and the same shape, o_proj too; use an adapter for a wider model).
        var wide = Path.Combine(_dir, "wide");
        Directory.CreateDirectory(wide);
        File.WriteAllText(Path.Combine(wide, "config.json"), TinyModels.ConfigJson("llama").Replace("\"intermediate_size\":512", "\"intermediate_size\":768", StringComparison.Ordinal));
        using (var wm = CausalLM.CreateRandom(Models.Config.ModelConfig.FromJson(File.ReadAllText(Path.Combine(wide, "config.json")))))
            Tensors.IO.SafeTensorsWriter.Write(Path.Combine(wide, "model.safetensors"), wm.NamedParameters().Select(p => (p.Name, p.Parameter.Value)).ToList());
        foreach (var f in new[] { "tokenizer.json", "tokenizer_config.json" }) File.Copy(Path.Combine(baseDir, f), Path.Combine(wide, f));
        var wideAdapter = TinyFolders.Adapter(_dir, wide, ["down_proj"]);
        var e2 = Assert.Throws<ExportException>(() => ModelMerger.Load(baseDir, wideAdapter));
        Assert.Contains("does not fit the base model", e2.Message);
        Assert.Contains("shape", e2.Message);
        // An existing output path is refused and left as it was.
        var existing = Path.Combine(_dir, "exists");
        Directory.CreateDirectory(existing);
        using (var m = ModelMerger.Load(baseDir, null))
        {
            var e3 = Assert.Throws<ExportException>(() => HfFolderWriter.Write(m, baseDir, DType.F32, existing));
            Assert.Equal(ExitCode.Output, e3.ExitCode);
        }
        Assert.Empty(Directory.GetFileSystemEntries(existing));
        // An unsupported GGUF type name.
        var e4 = Assert.Throws<ExportException>(() => GgufFileTypes.Parse("q3_k_s"));
        Assert.Contains("q4_k_m", e4.Message);
        // A failed write leaves no partial file: non-finite weights abort the GGUF write.
        using (var m = TinyModels.Create("llama"))
        {
            m.Layers[0].Mlp.UpProj.Weight.Value.Span[3] = float.NaN;
            var target = Path.Combine(_dir, "nan.gguf");
            var e5 = Assert.Throws<ExportException>(() => GgufModelWriter.Write(m, baseDir, GgufFileType.Q8_0, target));
            Assert.Contains("up_proj", e5.Message);
            Assert.False(File.Exists(target));
            Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
        }
        _ = otherAdapter;
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
