// Tiny HF model folders and PEFT adapters on disk for the merge / HF / adapter export tests.
using TuneSharp.Models;
using TuneSharp.Nn;
using TuneSharp.Nn.Lora;
using TuneSharp.Nn.Peft;
using TuneSharp.Tensors.IO;

namespace TuneSharp.Export.Tests;

internal static class TinyFolders
{
    /// <summary>An HF folder (config.json, model.safetensors, the TinyStories tokenizer files) holding <see cref="TinyModels.Create"/>.</summary>
    public static string Base(string root, string arch, int seed = 1)
    {
        var dir = Path.Combine(root, $"base-{arch}");
        Directory.CreateDirectory(dir);
        using var model = TinyModels.Create(arch, seed);
        SafeTensorsWriter.Write(Path.Combine(dir, "model.safetensors"), model.NamedParameters().Select(p => (p.Name, p.Parameter.Value)).ToList());
        File.WriteAllText(Path.Combine(dir, "config.json"), TinyModels.ConfigJson(arch));
        foreach (var f in new[] { "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json" })
            File.Copy(Path.Combine(TinyModels.TokenizerFolder, f), Path.Combine(dir, f));
        return dir;
    }

    /// <summary>A PEFT adapter for <paramref name="baseDir"/> with random A and B on <paramref name="targets"/>.</summary>
    public static string Adapter(string root, string baseDir, string[] targets, bool rslora = false, int r = 4, int seed = 7)
    {
        var dir = Path.Combine(root, $"adapter-{Path.GetFileName(baseDir)}-{string.Join('-', targets.Select(t => t.Replace("_proj", "")))}{(rslora ? "-rs" : "")}");
        using var model = CausalLM.FromPretrained(baseDir);
        var linears = model.Linears.Select(l => (l.Name, l)).ToList();
        if (targets.Contains("lm_head")) linears.Add(("lm_head", model.LmHead));
        var embeddings = new List<(string, Embedding)> { ("model.embed_tokens", model.EmbedTokens) };
        var lora = LoraModel.Inject(linears, new LoraConfig { R = r, LoraAlpha = 8, UseRslora = rslora, TargetModules = targets }, seed,
            new[] { "model.embed_tokens", "lm_head" }.Where(o => !linears.Any(l => l.Name == o)), embeddings);
        var rng = new Random(seed);
        foreach (var (_, p) in lora.TrainableParameters())
        {
            var s = p.Value.Span;
            for (int i = 0; i < s.Length; i++) s[i] = (rng.NextSingle() - 0.5f) * 0.5f;
        }
        PeftAdapter.Save(dir, lora, baseDir);
        return dir;
    }
}
