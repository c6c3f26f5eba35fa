// PEFT LoRA adapter folders: adapter_config.json + adapter_model.safetensors (peft save_pretrained / from_pretrained,
// utils/save_and_load.py key naming). Written atomically; reads what PEFT writes.
using System.Text.Json;
using System.Text.Json.Nodes;
using TuneSharp.Autograd;
using TuneSharp.Nn.Lora;
using TuneSharp.Tensors;
using TuneSharp.Tensors.IO;

namespace TuneSharp.Nn.Peft;

/// <summary>
/// Key layout (adapter name stripped, as PEFT saves): <c>base_model.model.&lt;module&gt;.lora_A.weight</c> (r, in) and
/// <c>.lora_B.weight</c> (out, r), F32; embeddings <c>.lora_embedding_A</c> (r, V) and <c>.lora_embedding_B</c> (C, r)
/// (ParameterDict entries: no ".weight"); modules_to_save as <c>base_model.model.&lt;module&gt;.weight</c> / <c>.bias</c>.
/// On load, <c>.lora_A.default.weight</c>-style keys (adapter name kept) and <c>.modules_to_save.</c> infixes are accepted too.
/// </summary>
public static class PeftAdapter
{
    public const string ConfigFileName = "adapter_config.json";
    public const string WeightsFileName = "adapter_model.safetensors";
    public const string KeyPrefix = "base_model.model.";

    /// <summary>Writes the adapter (weights, then config) into <paramref name="folder"/>; each file atomically.</summary>
    public static void Save(string folder, LoraModel model, string? baseModelNameOrPath = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Directory.CreateDirectory(folder);
        var tensors = StateDict(model).Select(p => (p.Key, p.Tensor)).ToList();
        SafeTensorsWriter.Write(Path.Combine(folder, WeightsFileName), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        AtomicFile.WriteAllText(Path.Combine(folder, ConfigFileName), ConfigJson(model.Config, baseModelNameOrPath ?? model.Config.BaseModelNameOrPath));
    }

    /// <summary>The saved tensors: PEFT key → F32 tensor (the parameters' own tensors, not copies).</summary>
    public static IReadOnlyList<(string Key, Tensor Tensor)> StateDict(LoraModel model)
    {
        if (model.IsMerged) throw new InvalidOperationException("PEFT adapter: unmerge before saving (merged weights are not an adapter)");
        return model.TrainableParameters().Select(p => (KeyPrefix + p.Name, p.Parameter.Value)).ToList();
    }

    /// <summary>adapter_config.json with every key PEFT writes (values for the unsupported features at their defaults).</summary>
    public static string ConfigJson(LoraConfig c, string? baseModelNameOrPath)
    {
        JsonNode? targets = c.TargetModulesRegex != null ? JsonValue.Create(c.TargetModulesRegex) : new JsonArray(c.TargetModules.Select(t => (JsonNode?)JsonValue.Create(t)).ToArray());
        JsonNode? toSave = c.ModulesToSave.Count == 0 ? null : new JsonArray(c.ModulesToSave.Select(t => (JsonNode?)JsonValue.Create(t)).ToArray());
        var o = new JsonObject
        {
            ["alpha_pattern"] = new JsonObject(),
            ["auto_mapping"] = null,
            ["base_model_name_or_path"] = baseModelNameOrPath,
            ["bias"] = c.Bias,
            ["corda_config"] = null,
            ["eva_config"] = null,
            ["exclude_modules"] = null,
            ["fan_in_fan_out"] = false,
            ["inference_mode"] = true,
            ["init_lora_weights"] = true,
            ["layer_replication"] = null,
            ["layers_pattern"] = null,
            ["layers_to_transform"] = null,
            ["loftq_config"] = new JsonObject(),
            ["lora_alpha"] = c.LoraAlpha == Math.Floor(c.LoraAlpha) && Math.Abs(c.LoraAlpha) < 1e15 ? JsonValue.Create((long)c.LoraAlpha) : JsonValue.Create(c.LoraAlpha),
            ["lora_bias"] = false,
            ["lora_dropout"] = (double)(decimal)c.LoraDropout,
            ["megatron_config"] = null,
            ["megatron_core"] = "megatron.core",
            ["modules_to_save"] = toSave,
            ["peft_type"] = "LORA",
            ["r"] = c.R,
            ["rank_pattern"] = new JsonObject(),
            ["revision"] = null,
            ["target_modules"] = targets,
            ["task_type"] = "CAUSAL_LM",
            ["trainable_token_indices"] = null,
            ["use_dora"] = false,
            ["use_rslora"] = c.UseRslora,
        };
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    /// <summary>Reads adapter_config.json; unsupported settings (DoRA, rank/alpha patterns, fan_in_fan_out, non-LORA types) throw naming the key.</summary>
    public static LoraConfig ReadConfig(string folder) => AdapterFormatException.Wrap(folder, () => ReadConfigCore(folder));

    private static LoraConfig ReadConfigCore(string folder)
    {
        string path = Path.Combine(folder, ConfigFileName);
        if (!File.Exists(path)) throw new AdapterFormatException($"PEFT adapter: '{path}' not found (an adapter folder holds {ConfigFileName} and {WeightsFileName})");
        JsonObject o;
        try { o = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException("not a JSON object"); }
        catch (Exception e) when (e is JsonException or InvalidDataException) { throw new AdapterFormatException($"PEFT adapter: '{path}' is not valid JSON: {e.Message}", e); }

        string Fail(string key, string why) => throw new AdapterFormatException($"PEFT adapter: '{path}': {key} {why}");
        string peftType = o["peft_type"]?.GetValue<string>() ?? "LORA";
        if (peftType != "LORA") Fail("peft_type", $"is '{peftType}', only LORA is supported");
        if (o["use_dora"]?.GetValue<bool>() == true) Fail("use_dora", "is true; DoRA is not supported");
        if (o["fan_in_fan_out"]?.GetValue<bool>() == true) Fail("fan_in_fan_out", "is true; only nn.Linear-layout (fan_in_fan_out false) adapters are supported");
        if (o["rank_pattern"] is JsonObject rp && rp.Count > 0) Fail("rank_pattern", "is not empty; per-module ranks are not supported");
        if (o["alpha_pattern"] is JsonObject ap && ap.Count > 0) Fail("alpha_pattern", "is not empty; per-module alphas are not supported");
        if (o["layers_to_transform"] is JsonNode lt && lt.GetValueKind() != JsonValueKind.Null) Fail("layers_to_transform", "is set; not supported");

        if (o["r"] is not JsonNode rn) { Fail("r", "is missing"); return null!; }
        int r = rn.GetValue<int>();
        double alpha = o["lora_alpha"] is JsonNode an ? an.GetValue<double>() : 8;
        double dropout = o["lora_dropout"] is JsonNode dn ? dn.GetValue<double>() : 0;
        List<string> targets = [];
        string? regex = null;
        switch (o["target_modules"])
        {
            case JsonArray arr: targets = arr.Select(n => n!.GetValue<string>()).ToList(); break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String: regex = v.GetValue<string>(); break;
            default: Fail("target_modules", "is missing or not a list/string"); break;
        }
        var toSave = o["modules_to_save"] is JsonArray ms ? ms.Select(n => n!.GetValue<string>()).ToList() : [];
        var config = new LoraConfig
        {
            R = r,
            LoraAlpha = alpha,
            LoraDropout = (float)dropout,
            TargetModules = targets,
            TargetModulesRegex = regex,
            UseRslora = o["use_rslora"]?.GetValue<bool>() ?? false,
            Bias = o["bias"]?.GetValue<string>() ?? "none",
            ModulesToSave = toSave,
            BaseModelNameOrPath = o["base_model_name_or_path"] is JsonValue bv && bv.GetValueKind() == JsonValueKind.String ? bv.GetValue<string>() : null,
        };
        try { config.Validate(); }
        catch (ConfigException e) { throw new AdapterFormatException($"PEFT adapter: '{path}': {e.Message}", e); }
        return config;
    }

    /// <summary>
    /// Reads the config, injects adapters into <paramref name="linears"/> and loads the saved weights (used for
    /// --init-adapter and for inference with a trained adapter).
    /// </summary>
    public static LoraModel Load(string folder, IEnumerable<(string Name, Linear Layer)> linears, IEnumerable<string>? otherModuleNames = null,
        IEnumerable<(string Name, Embedding Layer)>? embeddings = null, string adapterName = AdapterSelection.DefaultName)
    {
        var config = ReadConfig(folder);
        LoraModel model;
        try { model = AdapterFormatException.Wrap(folder, () => LoraModel.Inject(linears, config, seed: 0, otherModuleNames, embeddings, adapterName)); }
        catch (ConfigException e) { throw new AdapterFormatException($"PEFT adapter: '{folder}' does not fit this model: {e.Message}", e); }
        try { LoadWeights(folder, model); }
        catch
        {
            model.Remove();
            throw;
        }
        return model;
    }

    /// <summary>
    /// PEFT PeftModel.from_pretrained / load_adapter on a module tree: injects the saved config's adapters under
    /// <paramref name="adapterName"/> (several adapters can sit on one base model) and loads their weights.
    /// </summary>
    public static LoraModel Load(string folder, Module model, string adapterName = AdapterSelection.DefaultName)
    {
        ArgumentNullException.ThrowIfNull(model);
        var (linears, embeddings, others) = LoraModel.Candidates(model);
        return Load(folder, linears, others, embeddings, adapterName);
    }

    /// <summary>
    /// Copies adapter_model.safetensors into an injected model's parameters. Every file key must name a parameter of
    /// the model and every adapter parameter must be present, with equal shapes; dtype F32/BF16/F16 (widened).
    /// </summary>
    public static void LoadWeights(string folder, LoraModel model) => AdapterFormatException.Wrap(folder, () => { LoadWeightsCore(folder, model); return 0; });

    private static void LoadWeightsCore(string folder, LoraModel model)
    {
        string path = Path.Combine(folder, WeightsFileName);
        if (!File.Exists(path)) throw new AdapterFormatException($"PEFT adapter: '{path}' not found (an adapter folder holds {ConfigFileName} and {WeightsFileName})");
        var byName = model.TrainableParameters().ToDictionary(p => p.Name, p => p.Parameter, StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        using var file = SafeTensorsFile.Open(path);
        foreach (var key in file.Names)
        {
            string name = NormalizeKey(key);
            if (!byName.TryGetValue(name, out var param))
                throw new AdapterFormatException($"PEFT adapter: '{path}': tensor '{key}' does not match any adapter parameter of the model (expected keys like '{KeyPrefix}{byName.Keys.FirstOrDefault()}'); was the adapter trained for another model or other target_modules?");
            var info = file.GetInfo(key);
            if (info.ToShape() != param.Shape)
                throw new AdapterFormatException($"PEFT adapter: '{path}': tensor '{key}' has shape {info.ToShape()}, the model expects {param.Shape} (r or layer sizes differ)");
            using var t = file.GetTensor(key);
            using var f = t.To(DType.F32);
            f.Span.CopyTo(param.Value.Span);
            seen.Add(name);
        }
        var missing = byName.Keys.Where(k => !seen.Contains(k)).ToList();
        if (missing.Count > 0)
            throw new AdapterFormatException($"PEFT adapter: '{path}' lacks {missing.Count} adapter tensor(s), e.g. '{KeyPrefix}{missing[0]}'");
    }

    /// <summary>base_model.model.X.lora_A.default.weight → X.lora_A.weight; X.modules_to_save.default.weight → X.weight.</summary>
    public static string NormalizeKey(string key)
    {
        string k = key.StartsWith(KeyPrefix, StringComparison.Ordinal) ? key[KeyPrefix.Length..] : key;
        k = k.Replace(".lora_A.default.", ".lora_A.", StringComparison.Ordinal)
             .Replace(".lora_B.default.", ".lora_B.", StringComparison.Ordinal)
             .Replace(".lora_embedding_A.default", ".lora_embedding_A", StringComparison.Ordinal)
             .Replace(".lora_embedding_B.default", ".lora_embedding_B", StringComparison.Ordinal)
             .Replace(".modules_to_save.default.", ".", StringComparison.Ordinal)
             .Replace(".modules_to_save.", ".", StringComparison.Ordinal);
        return k;
    }
}
