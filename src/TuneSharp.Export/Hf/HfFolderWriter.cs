// Writes a merged model as a Hugging Face folder that transformers (and our loader) read: config.json with the dtype,
// generation_config.json whose eos_token_id lists every end-of-turn id, the tokenizer files with the chat template,
// safetensors sharded by size with model.safetensors.index.json, and a README.md model card. The folder appears whole.
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TuneSharp.Export.Gguf;
using TuneSharp.Export.Merge;
using TuneSharp.Tensors;
using TuneSharp.Tensors.IO;
using TuneSharp.Tokenizers;

namespace TuneSharp.Export.Hf;

public static class HfFolderWriter
{
    private static readonly string[] TokenizerFiles = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.model", "chat_template.jinja", "added_tokens.json"];

    // Chat end-of-turn markers of the common templates (ChatML, Llama 3, Gemma, Phi-3).
    private static readonly string[] EndOfTurnTokens = ["<|im_end|>", "<|eot_id|>", "<|eom_id|>", "<end_of_turn>", "<|end|>", "<|endoftext|>", "<|end_of_text|>"];

    /// <summary>
    /// Writes <paramref name="merged"/> to <paramref name="outFolder"/> in <paramref name="dtype"/> (F32, BF16 or F16).
    /// Refuses an existing output path. Returns the written file names.
    /// </summary>
    public static IReadOnlyList<string> Write(MergedModel merged, string tokenizerFolder, DType dtype, string outFolder, long maxShardBytes = 5_000_000_000)
    {
        if (dtype is not (DType.F32 or DType.BF16 or DType.F16)) throw new ExportException($"--dtype {dtype} is not supported (f32, bf16, f16)", ExitCode.Usage);
        if (Directory.Exists(outFolder) || File.Exists(outFolder))
            throw new ExportException($"{outFolder}: the output exists; choose a new path (export never overwrites)", ExitCode.Output);
        var files = new List<string>();
        AtomicFile.WriteFolder(outFolder, tmp =>
        {
            var tensors = merged.Tensors().Select(t => (t.Name, Tensor: t.Tensor.Rank == 1 || t.Tensor.DType == dtype ? t.Tensor : t.Tensor.To(dtype))).ToList();
            try
            {
                // transformers saves 1-D tensors in the model dtype too.
                tensors = tensors.Select(t => (t.Name, t.Tensor.DType == dtype ? t.Tensor : t.Tensor.To(dtype))).ToList();
                files.AddRange(SafeTensorsWriter.WriteSharded(tmp, tensors, maxShardBytes, new Dictionary<string, string> { ["format"] = "pt" }).Select(Path.GetFileName)!);
            }
            finally
            {
                var originals = merged.Tensors().Select(t => t.Tensor).ToHashSet();
                foreach (var (_, t) in tensors) if (!originals.Contains(t)) t.Dispose();
            }
            AtomicFile.WriteAllText(Path.Combine(tmp, "config.json"), ConfigJson(merged, dtype));
            files.Add("config.json");
            foreach (var f in TokenizerFiles)
            {
                var src = Path.Combine(tokenizerFolder, f);
                if (!File.Exists(src)) continue;
                File.Copy(src, Path.Combine(tmp, f));
                files.Add(f);
            }
            if (!File.Exists(Path.Combine(tmp, "tokenizer.json")))
                throw new ExportException($"{tokenizerFolder}: no tokenizer.json to copy; pass --tokenizer DIR");
            var eot = EndOfTurnIds(merged, tokenizerFolder);
            AtomicFile.WriteAllText(Path.Combine(tmp, "generation_config.json"), GenerationConfigJson(merged, eot));
            files.Add("generation_config.json");
            AtomicFile.WriteAllText(Path.Combine(tmp, "README.md"), ModelCard(merged, dtype, tokenizerFolder));
            files.Add("README.md");
        });
        return files;
    }

    /// <summary>Every end-of-turn id: config eos ids, the tokenizer's EOS, and the chat template's end-of-turn markers in the vocabulary.</summary>
    public static IReadOnlyList<int> EndOfTurnIds(MergedModel merged, string tokenizerFolder)
    {
        var ids = new List<int>(merged.Model.Config.EosTokenIds);
        var tok = Tokenizer.FromPretrained(tokenizerFolder);
        if (tok.EosTokenId is int e && !ids.Contains(e)) ids.Add(e);
        var template = GgufVocabulary.ChatTemplateText(tokenizerFolder) ?? "";
        foreach (var t in EndOfTurnTokens)
            if (template.Contains(t, StringComparison.Ordinal) && tok.TokenToId(t) is int id && !ids.Contains(id)) ids.Add(id);
        return ids;
    }

    private static string ConfigJson(MergedModel merged, DType dtype)
    {
        var src = Path.Combine(merged.BaseFolder, "config.json");
        var node = JsonNode.Parse(File.ReadAllText(src))!.AsObject();
        string name = dtype switch { DType.BF16 => "bfloat16", DType.F16 => "float16", _ => "float32" };
        node["torch_dtype"] = name;
        if (node.ContainsKey("dtype")) node["dtype"] = name;
        if (merged.Model.Config.TieWordEmbeddings && !merged.Tied) node["tie_word_embeddings"] = false;
        node.Remove("quantization_config");
        return node.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    private static string GenerationConfigJson(MergedModel merged, IReadOnlyList<int> eot)
    {
        var src = Path.Combine(merged.BaseFolder, "generation_config.json");
        var node = File.Exists(src) ? JsonNode.Parse(File.ReadAllText(src))!.AsObject() : new JsonObject();
        var c = merged.Model.Config;
        if (c.BosTokenId is int b) node["bos_token_id"] = b;
        node["eos_token_id"] = eot.Count == 1 ? JsonValue.Create(eot[0]) : new JsonArray(eot.Select(i => (JsonNode)JsonValue.Create(i)!).ToArray());
        if (c.PadTokenId is int p) node["pad_token_id"] = p;
        node["_from_model_config"] = false;
        return node.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    private static string ModelCard(MergedModel merged, DType dtype, string tokenizerFolder)
    {
        var c = merged.Model.Config;
        var sb = new StringBuilder();
        string baseName = Path.GetFileName(Path.GetFullPath(merged.BaseFolder).TrimEnd('/'));
        sb.Append("---\nlibrary_name: transformers\n");
        sb.Append(CultureInfo.InvariantCulture, $"base_model: {baseName}\n");
        sb.Append("tags:\n- tunesharp\n").Append(merged.Adapter != null ? "- lora\n- merged\n" : "").Append("---\n\n");
        sb.Append(CultureInfo.InvariantCulture, $"# {baseName}{(merged.Adapter != null ? " + LoRA (merged)" : "")}\n\n");
        sb.Append(CultureInfo.InvariantCulture, $"Exported by TuneSharp (`tunesharp export --to hf --dtype {DtypeName(dtype)}`).\n\n");
        sb.Append("| | |\n|---|---|\n");
        sb.Append(CultureInfo.InvariantCulture, $"| base model | `{baseName}` ({c.ModelType}, {merged.Model.ParameterCount:N0} parameters) |\n");
        sb.Append(CultureInfo.InvariantCulture, $"| dtype | {DtypeName(dtype)} |\n");
        if (merged.Adapter is { } a)
        {
            sb.Append(CultureInfo.InvariantCulture, $"| LoRA | r = {a.R}, alpha = {a.LoraAlpha}{(a.UseRslora ? ", rsLoRA" : "")}, dropout = {a.LoraDropout} |\n");
            sb.Append(CultureInfo.InvariantCulture, $"| target modules | {string.Join(", ", a.TargetModules)}{a.TargetModulesRegex} |\n");
            if (a.ModulesToSave.Count > 0) sb.Append(CultureInfo.InvariantCulture, $"| modules to save | {string.Join(", ", a.ModulesToSave)} |\n");
        }
        bool hasTemplate = GgufVocabulary.ChatTemplateText(tokenizerFolder) != null;
        sb.Append(CultureInfo.InvariantCulture, $"| chat template | {(hasTemplate ? "included (tokenizer_config.json)" : "none")} |\n\n");
        foreach (var n in merged.Notes) sb.Append("- ").Append(n).Append('\n');
        if (merged.AdapterFolder is { } ad)
        {
            foreach (var (file, title) in new[] { ("training_args.json", "Training settings"), ("trainer_state.json", "Training state"), ("eval_results.json", "Evaluation results"), ("all_results.json", "Results") })
            {
                var f = Path.Combine(ad, file);
                if (!File.Exists(f) || new FileInfo(f).Length > 64 * 1024) continue;
                sb.Append(CultureInfo.InvariantCulture, $"\n## {title}\n\n```json\n{File.ReadAllText(f).Trim()}\n```\n");
            }
        }
        return sb.ToString();
    }

    private static string DtypeName(DType d) => d switch { DType.BF16 => "bf16", DType.F16 => "f16", _ => "f32" };
}
