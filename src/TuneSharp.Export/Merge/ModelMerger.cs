// Loads a base HF folder and merges a PEFT LoRA adapter into it (linear layers, embed_tokens, lm_head; rsLoRA scaling),
// the way PEFT's merge_and_unload does: W ← W + scaling·B·A in F32. The base is always read from its own (16-bit or F32)
// weights, so an adapter trained on an NF4 (QLoRA) base is merged into the original weights, never into dequantized NF4.
using System.Text.Json;
using System.Text.RegularExpressions;
using TuneSharp.Models;
using TuneSharp.Nn;
using TuneSharp.Nn.Lora;
using TuneSharp.Nn.Peft;

namespace TuneSharp.Export.Merge;

public static class ModelMerger
{
    /// <summary>Loads <paramref name="baseFolder"/> (F32) and merges <paramref name="adapterFolder"/> when given.</summary>
    public static MergedModel Load(string baseFolder, string? adapterFolder) => Load(baseFolder, adapterFolder, merge: true, out _);

    /// <summary>Loads the base with the adapter injected but NOT merged (the adapter-on-base reference, and the GGUF adapter's source).</summary>
    public static MergedModel LoadUnmerged(string baseFolder, string adapterFolder, out LoraModel lora)
    {
        var m = Load(baseFolder, adapterFolder, merge: false, out var l);
        lora = l!;
        return m;
    }

    private static MergedModel Load(string baseFolder, string? adapterFolder, bool merge, out LoraModel? loraOut)
    {
        loraOut = null;
        CheckBaseIsNotQuantized(baseFolder);
        var notes = new List<string>();
        CausalLM model;
        try { model = CausalLM.FromPretrained(baseFolder, new ModelLoadOptions { DType = ModelDType.Float32, KeepGgufQuantized = false }); }
        catch (ModelLoadException e) { throw new ExportException($"cannot load the base model: {e.Message}", ExitCode.InputFormat, e); }
        if (adapterFolder is null) return new MergedModel(model, baseFolder, null, null, notes);
        try
        {
            if (!Directory.Exists(adapterFolder)) throw new ExportException($"{adapterFolder}: adapter folder not found");
            if (!File.Exists(Path.Combine(adapterFolder, PeftAdapter.ConfigFileName)))
                throw new ExportException($"{adapterFolder}: no {PeftAdapter.ConfigFileName}; --adapter must name a PEFT adapter folder (adapter_config.json + adapter_model.safetensors)");
            LoraConfig config;
            try { config = PeftAdapter.ReadConfig(adapterFolder); }
            catch (AdapterFormatException e) { throw new ExportException(e.Message, ExitCode.InputFormat, e); }
            var linears = model.Linears.Select(l => (l.Name, l)).ToList();
            if (config.IsTarget("lm_head") || config.ModulesToSave.Any(m => LoraConfig.MatchesSuffix("lm_head", m)))
            {
                // A tied lm_head gets its own copy so merging its adapter leaves the embedding as trained.
                if (model.TiedEmbeddings) model.LmHead.Weight = Autograd.Variable.Parameter(model.EmbedTokens.Weight.Value.Clone(), trainable: false, "lm_head.weight");
                linears.Add(("lm_head", model.LmHead));
            }
            var embeddings = new List<(string Name, Embedding Layer)> { ("model.embed_tokens", model.EmbedTokens) };
            if (model.TiedEmbeddings && config.TargetModules.Any(t => LoraConfig.MatchesSuffix("model.embed_tokens", t)) && ReferenceEquals(model.LmHead.Weight, model.EmbedTokens.Weight))
                model.LmHead.Weight = Autograd.Variable.Parameter(model.EmbedTokens.Weight.Value.Clone(), trainable: false, "lm_head.weight");
            string[] others = ["model.embed_tokens", "lm_head"];
            LoraModel lora;
            try { lora = PeftAdapter.Load(adapterFolder, linears, others.Where(o => !linears.Any(l => l.Name == o)), embeddings); }
            catch (Exception e) when (e is AdapterFormatException or ArgumentException or NotSupportedException)
            {
                throw new ExportException($"{adapterFolder}: the adapter does not fit the base model {baseFolder}: {e.Message}", ExitCode.InputFormat, e);
            }
            loraOut = lora;
            if (!merge) return new MergedModel(model, baseFolder, adapterFolder, config, notes);
            lora.MergeAndUnload();
            notes.Add($"merged LoRA r={config.R} alpha={config.LoraAlpha}{(config.UseRslora ? " (rsLoRA)" : "")} into {string.Join(", ", config.TargetModules.Count > 0 ? config.TargetModules : [config.TargetModulesRegex ?? ""])}");
            if (LooksQLoRA(adapterFolder))
                notes.Add($"the adapter was trained on an NF4 (QLoRA) base; it was merged into the original 16-bit weights read from {baseFolder}, not into the dequantized NF4 weights");
            else
                notes.Add($"base weights read from {baseFolder} (an adapter trained with QLoRA is merged into these original weights, not into dequantized NF4)");
            return new MergedModel(model, baseFolder, adapterFolder, config, notes);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Refuses a base whose weights are quantized (GGUF quant types, bitsandbytes/GPTQ/AWQ config): merging into them would bake rounding error into the result.</summary>
    private static void CheckBaseIsNotQuantized(string baseFolder)
    {
        if (File.Exists(baseFolder) && baseFolder.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase))
            throw new ExportException($"{baseFolder}: --model must be the HF folder of the base model; merging into a GGUF file would merge into quantized (or converted) weights. Export the merged model from the original folder instead");
        var cfg = Path.Combine(baseFolder, "config.json");
        if (!File.Exists(cfg)) return;
        using var doc = JsonDocument.Parse(File.ReadAllBytes(cfg));
        if (doc.RootElement.TryGetProperty("quantization_config", out var q) && q.ValueKind == JsonValueKind.Object)
            throw new ExportException($"{cfg}: the base model is quantized ({(q.TryGetProperty("quant_method", out var m) ? m.ToString() : "quantization_config")}); merging a LoRA adapter into quantized weights bakes their rounding error into the result. Point --model at the original 16-bit model the adapter was trained from");
    }

    // TuneSharp run configs (YAML/JSON) next to the adapter say load_in_4bit: true for QLoRA runs.
    private static bool LooksQLoRA(string adapterFolder)
    {
        foreach (var dir in new[] { adapterFolder, Path.GetDirectoryName(Path.GetFullPath(adapterFolder)) })
        {
            if (dir is null || !Directory.Exists(dir)) continue;
            foreach (var f in Directory.EnumerateFiles(dir).Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal) || f.EndsWith("training_args.json", StringComparison.Ordinal)))
                if (new FileInfo(f).Length < 1 << 20 && Regex.IsMatch(File.ReadAllText(f), @"load_in_4bit""?\s*:\s*true", RegexOptions.IgnoreCase)) return true;
        }
        return false;
    }
}
